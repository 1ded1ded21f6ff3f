//! The e-Gestor payment report `COMPLETO` in its published layout (`docs/spec/FORMATS.md` §4), written from
//! statement lines: what `repasse demo-data --formato relatorio` and `repasse demo --from-files` feed the
//! reader. One file is what the route answers for one UF and a range of parcelas: `resumosPlanosOrcamentarios`
//! (a row per municipality, parcela and plano; money in reais as JSON numbers, the discount negative) and
//! `pagamentos` (a row per municipality and parcela; only the identity keys FORMATS.md confirms are written,
//! as the reader only counts these rows).

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

use repasse_proto::{Ibge, Money, Parcela, Plano, Uf};
use serde_json::{Value, json};

/// One plano's line of one municipality's parcela, as the report publishes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportLine {
    pub ibge: Ibge,
    pub name: String,
    pub uf: Uf,
    pub parcela: Parcela,
    pub plano: Plano,
    pub integral: Money,
    /// Positive here; the report writes it negative.
    pub desconto: Money,
    pub ajuste: Money,
    pub efetivo: Money,
    pub implantacao: Money,
}

/// The report's `dsPlanoOrcamentario` of a plano (the exact strings of FORMATS.md §4); `None` for the
/// PAR incentive, which the report does not carry.
pub fn plano_description(plano: Plano) -> Option<&'static str> {
    Some(match plano {
        Plano::EsfEap => "Equipes de Saúde da Família - eSF e equipes de Atenção Primária - eAP",
        Plano::Acs => "Agentes Comunitários de Saúde",
        Plano::SaudeBucal => "Atenção à Saúde Bucal",
        Plano::EMulti => "Equipes Multiprofissionais - eMulti",
        Plano::Demais => "Demais programas, serviços e equipes da Atenção Primária à Saúde",
        Plano::Aae => return None,
    })
}

/// Money as the report writes it: a JSON number in reais.
fn reais(m: Money) -> Value {
    Value::Number(
        m.to_string()
            .parse()
            .expect("a decimal with two places is a JSON number"),
    )
}

/// Writes `lines` as one `COMPLETO` answer at `path`; returns the rows of `resumosPlanosOrcamentarios`.
pub fn write_completo(path: &Path, lines: &[ReportLine]) -> io::Result<u64> {
    let mut resumos = Vec::with_capacity(lines.len());
    let mut seen = BTreeSet::new();
    let mut pagamentos = Vec::new();
    for l in lines {
        let Some(description) = plano_description(l.plano) else {
            continue;
        };
        let comp = l.parcela.competencia().compact();
        let uf_code = format!("{:02}", l.ibge.uf_code());
        resumos.push(json!({
            "sgUf": l.uf.as_str(),
            "coUfIbge": uf_code,
            "coMunicipioIbge": l.ibge.to_string(),
            "noMunicipio": l.name,
            "nuCompCnes": comp,
            "nuParcela": l.parcela.compact(),
            "dsPlanoOrcamentario": description,
            "dsEsferaAdministrativa": "MUNICIPAL",
            "vlIntegral": reais(l.integral),
            "vlAjuste": reais(l.ajuste),
            "vlDesconto": reais(Money::ZERO - l.desconto),
            "vlEfetivoRepasse": reais(l.efetivo),
            "vlImplantacao": reais(l.implantacao),
            "vlAjusteImplantacao": 0,
            "vlDescontoImplantacao": 0,
            "vlTotalImplantacao": reais(l.implantacao),
        }));
        if seen.insert((l.ibge, l.parcela)) {
            pagamentos.push(json!({
                "coMunicipioIbge": l.ibge.to_string(),
                "noMunicipio": l.name,
                "sgUf": l.uf.as_str(),
                "nuParcela": l.parcela.compact(),
                "nuCompCnes": comp,
            }));
        }
    }
    let rows = resumos.len() as u64;
    let body = json!({ "pagamentos": pagamentos, "resumosPlanosOrcamentarios": resumos });
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer(&mut out, &body)?;
    out.flush()?;
    Ok(rows)
}
