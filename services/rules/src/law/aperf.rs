//! RULES.md §9 — the training adhesion of NT Conjunta 425/2025 (seed 000): the window, deletion, the
//! result and its 24 months, suspension, and whether a professional may enrol on a date.

use repasse_proto::Date;
use repasse_proto::calendar::is_business_day;

use crate::catalog::{self, Rule};
use crate::params::{APERF, Params};

/// The dates of table `APERF.PRAZOS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    pub start: Date,
    pub end: Date,
    pub result_business_days: u8,
    pub validity_months: i32,
}

impl Calendar {
    /// The latest version of the table: one adhesion window, which a later portaria or note may move (a
    /// *prorrogação* publishes a new version).
    pub fn from_params(params: &Params) -> Calendar {
        let last_year = u16::try_from(repasse_proto::date::MAX_YEAR).expect("a year");
        let at = repasse_proto::Parcela::new(last_year, 12).expect("a valid parcela");
        let date = |key| {
            params
                .text(APERF, key, at)
                .parse::<Date>()
                .expect("validated on publish")
        };
        let count = |key| params.count(APERF, key, at);
        Calendar {
            start: date("adesao_inicio"),
            end: date("adesao_fim"),
            result_business_days: u8::try_from(count("resultado_dias_uteis")).unwrap_or(u8::MAX),
            validity_months: i32::try_from(count("validade_meses")).unwrap_or(i32::MAX),
        }
    }

    /// APERF.JANELA: an adhesion counts only if made within the window (§8.1).
    pub fn in_window(&self, on: Date) -> bool {
        self.start <= on && on <= self.end
    }

    /// APERF.JANELA: a deletion takes effect only before the window closes (§6.3.2).
    pub fn may_delete(&self, on: Date) -> bool {
        on <= self.end
    }

    /// APERF.RESULTADO: the last day for the result, `n` business days after the window (§8.2; CAL.DIA_UTIL).
    pub fn result_deadline(&self) -> Date {
        let mut date = self.end;
        let mut counted = 0;
        while counted < self.result_business_days {
            date = date.add_days(1);
            if is_business_day(date) {
                counted += 1;
            }
        }
        date
    }

    /// APERF.RESULTADO: the last day the adhesion is valid, 24 months from the result (§8.3). [interp]
    /// Código Civil art. 132 §3º: a period of months ends on the day of the same number, included, or on
    /// the next day where the month has no such day.
    pub fn valid_until(&self, result_on: Date) -> Date {
        let same = result_on.add_months(self.validity_months);
        if same.day() < result_on.day() {
            same.add_days(1)
        } else {
            same
        }
    }
}

/// What happened to one ente's adhesion, in stream order (its effect is judged by [`adhesion_on`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "evento", content = "em", rename_all = "snake_case")]
pub enum AdhesionEvent {
    Adhered(Date),
    Deleted(Date),
    ResultPublished(Date),
    Suspended(Date),
}

/// An ente's adhesion as of a date, with the checks an explanation shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AdhesionOn {
    pub valid: bool,
    pub checks: Vec<(Rule, bool, String)>,
    pub valid_until: Option<Date>,
}

/// APERF.JANELA and APERF.RESULTADO: whether an ente's adhesion is valid on `on`, from its events in stream
/// order. An adhesion outside the window and a deletion after it have no effect; a later adhesion within
/// the window after a deletion counts; the result starts the 24 months; a suspension ends them.
pub fn adhesion_on(cal: &Calendar, events: &[AdhesionEvent], on: Date) -> AdhesionOn {
    let mut adhered: Option<Date> = None;
    let mut notes: Vec<String> = Vec::new();
    let mut result: Option<Date> = None;
    let mut suspended: Option<Date> = None;
    for event in events {
        match *event {
            AdhesionEvent::Adhered(d) if cal.in_window(d) => adhered = adhered.or(Some(d)),
            AdhesionEvent::Adhered(d) => notes.push(format!(
                "adesão em {} fora do período {} a {}",
                d.format_br(),
                cal.start.format_br(),
                cal.end.format_br()
            )),
            AdhesionEvent::Deleted(d) if cal.may_delete(d) && adhered.is_some() => {
                adhered = None;
                notes.push(format!("adesão excluída em {}", d.format_br()));
            }
            AdhesionEvent::Deleted(d) => notes.push(format!(
                "exclusão em {} sem efeito (após o fim do período ou sem adesão)",
                d.format_br()
            )),
            AdhesionEvent::ResultPublished(d) => result = result.or(Some(d)),
            AdhesionEvent::Suspended(d) => suspended = suspended.or(Some(d)),
        }
    }
    let mut checks = Vec::new();
    let window_detail = match adhered {
        Some(d) => format!("adesão em {} dentro do período", d.format_br()),
        None if notes.is_empty() => "sem adesão do ente".to_owned(),
        None => notes.join("; "),
    };
    checks.push((catalog::APERF_JANELA, adhered.is_none(), window_detail));
    let valid_until = result.map(|r| cal.valid_until(r));
    let (against, detail) = match (result, suspended) {
        _ if adhered.is_none() => (false, "sem adesão: resultado não se aplica".to_owned()),
        (None, _) => (true, "resultado ainda não publicado".to_owned()),
        (Some(r), _) if on < r => (true, format!("resultado publicado só em {}", r.format_br())),
        (Some(r), _) if on > cal.valid_until(r) => (
            true,
            format!(
                "validade de {} meses encerrada em {}",
                cal.validity_months,
                cal.valid_until(r).format_br()
            ),
        ),
        (Some(_), Some(s)) if s <= on => (true, format!("adesão suspensa em {}", s.format_br())),
        (Some(r), _) => {
            let late = if r > cal.result_deadline() {
                format!(
                    " (publicado após o prazo de {})",
                    cal.result_deadline().format_br()
                )
            } else {
                String::new()
            };
            (
                false,
                format!(
                    "resultado em {}{late}; válida até {}",
                    r.format_br(),
                    cal.valid_until(r).format_br()
                ),
            )
        }
    };
    checks.push((catalog::APERF_RESULTADO, against, detail));
    let valid = !checks.iter().any(|(_, against, _)| *against);
    AdhesionOn {
        valid,
        checks,
        valid_until,
    }
}

/// APERF.ELEGIVEL (NT 425/2025 §5.4, §7.1): a professional linked in SCNES may enrol on `on` when the ente
/// of one of the links has an adhesion valid that day. `entes` are those entes with their events in stream
/// order (empty for an ente that never adhered). Returns whether the professional may enrol, the rule ids
/// against (empty when eligible) and each ente judged.
/// [interp] Every rule that fails is a reason: APERF.ELEGIVEL whenever the professional may not enrol,
/// with APERF.JANELA when no ente of the links adhered in the window (or its adhesion was deleted) and
/// APERF.RESULTADO when one did but its adhesion is not valid on the date (no result yet, expired,
/// suspended).
pub fn enrolment(
    cal: &Calendar,
    linked: bool,
    entes: &[(repasse_proto::fact::Ente, Vec<AdhesionEvent>)],
    on: Date,
) -> (
    bool,
    Vec<&'static str>,
    Vec<(repasse_proto::fact::Ente, AdhesionOn)>,
) {
    let judged: Vec<_> = entes
        .iter()
        .map(|(ente, events)| (*ente, adhesion_on(cal, events, on)))
        .collect();
    let eligible = linked && judged.iter().any(|(_, a)| a.valid);
    let mut reasons: Vec<&'static str> = Vec::new();
    if !eligible {
        reasons.push(catalog::APERF_ELEGIVEL.id);
        let adhering: Vec<&AdhesionOn> = entes
            .iter()
            .zip(&judged)
            .filter(|((_, events), _)| !events.is_empty())
            .map(|(_, (_, a))| a)
            .collect();
        if linked && adhering.is_empty() {
            reasons.push(catalog::APERF_JANELA.id);
        }
        reasons.extend(
            adhering
                .iter()
                .flat_map(|a| a.checks.iter())
                .filter(|(_, against, _)| *against)
                .map(|(rule, _, _)| rule.id),
        );
    }
    reasons.sort_unstable();
    reasons.dedup();
    (eligible, reasons, judged)
}
