//! The dump writer and the reader agree: a competência of the synthetic history written in the published
//! layout reads back as the same teams, types (by family where the dump names no modality), links and
//! hours, with the national proportions of other rows around them.

use repasse_ingest::cnes::write::write_dump;
use repasse_ingest::demo::{Demo, DemoConfig};
use repasse_ingest::sources::{self, Options, Source};
use repasse_proto::fact::ScnesTeam;
use repasse_proto::{Fact, ScnesTeamType, TeamFamily, TeamType};

fn family(t: ScnesTeamType) -> ScnesTeamType {
    match t {
        ScnesTeamType::Exact(TeamType::Esf) => t,
        ScnesTeamType::Exact(t) if t.is_eap() => ScnesTeamType::Family(TeamFamily::Eap),
        ScnesTeamType::Exact(t) if t.is_esb() => ScnesTeamType::Family(TeamFamily::Esb),
        ScnesTeamType::Exact(_) => ScnesTeamType::Family(TeamFamily::EMulti),
        family => family,
    }
}

#[test]
fn a_written_dump_reads_back_as_its_teams() {
    let demo = Demo::new(DemoConfig {
        teams: 3_000,
        competencias: 2,
        ufs: vec![repasse_proto::Uf::SE, repasse_proto::Uf::AL],
        ..DemoConfig::default()
    });
    let c = demo.competencias().nth(1).unwrap();
    let teams: Vec<ScnesTeam> = demo
        .competencia_facts(c)
        .into_iter()
        .filter_map(|(f, _)| match f {
            Fact::ScnesTeam(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(teams.len() > 20, "{} teams", teams.len());
    let dir = tempfile::tempdir().unwrap();
    let written = write_dump(dir.path(), c, &teams, None).unwrap();
    assert!(
        written.workload_rows > 50 * written.aps_teams,
        "{written:?}"
    );
    assert!(written.professionals > written.workload_rows, "{written:?}");
    let path = dir
        .path()
        .join(format!("BASE_DE_DADOS_CNES_{}.ZIP", c.compact()));
    let parsed = sources::read(Source::Cnes, &path, &Options::default(), &mut |_, _| {}).unwrap();
    assert!(
        parsed.quarantine.is_empty(),
        "{:?}",
        parsed.quarantine.first()
    );
    let read: Vec<ScnesTeam> = parsed
        .facts
        .into_iter()
        .filter_map(|(f, _)| match f {
            Fact::ScnesTeam(t) => Some(t),
            _ => None,
        })
        .collect();
    let mut expected = teams;
    expected.sort_by_key(|t| t.ine);
    assert_eq!(read.len(), expected.len());
    let mut hours = (0u64, 0u64);
    for (got, want) in read.iter().zip(&expected) {
        assert_eq!(
            (got.ine, got.cnes, got.ibge, got.active),
            (want.ine, want.cnes, want.ibge, want.active)
        );
        assert_eq!(got.team_type, family(want.team_type));
        assert_eq!(
            got.professionals.len(),
            want.professionals.len(),
            "team {}",
            want.ine
        );
        for p in &got.professionals {
            assert!(p.cpf.is_some() || p.cns.is_some());
        }
        hours.0 += got
            .professionals
            .iter()
            .map(|p| u64::from(p.hours))
            .sum::<u64>();
        hours.1 += want
            .professionals
            .iter()
            .map(|p| u64::from(p.hours))
            .sum::<u64>();
    }
    // Two teams of one unit sharing a professional and CBO share a workload row: its hours stay on the
    // first, and the sum over all links is the same.
    assert_eq!(hours.0, hours.1);
}
