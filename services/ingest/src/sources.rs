//! The published sources `repasse ingest` reads, one reader each, behind one entry point shared by the
//! command line and the golden cases' `{"type": "file"}` facts.

use std::path::Path;

use repasse_proto::{Competencia, Ibge, Parcela};

use crate::files::{Error, Parsed};
use crate::sisab::Received;

/// A source with a reader of its published layout (`docs/spec/FORMATS.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The monthly CNES dump (zip).
    Cnes,
    /// SISAB's production validation report (CSV).
    Sisab,
    /// The e-Gestor APS payment report (JSON).
    Relatorio,
    /// The Fund's payment orders (JSON).
    Fns,
    /// Parameter tables published by portaria (JSON).
    Parametros,
    /// The lists of a portaria's DOU annexes: homologations, credentialings, cancellations (CSV).
    Portarias,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Cnes,
        Source::Sisab,
        Source::Relatorio,
        Source::Fns,
        Source::Parametros,
        Source::Portarias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cnes => "cnes",
            Source::Sisab => "sisab",
            Source::Relatorio => "relatorio",
            Source::Fns => "fns",
            Source::Parametros => "parametros",
            Source::Portarias => "portarias",
        }
    }
}

impl std::str::FromStr for Source {
    type Err = String;
    fn from_str(text: &str) -> Result<Source, String> {
        Source::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                format!("fonte desconhecida \"{text}\": esperado cnes, sisab, relatorio, fns, parametros ou portarias")
            })
    }
}

/// What a file does not say and the person importing it does.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// SISAB: the competência where the report's preamble does not state it.
    pub competencia: Option<Competencia>,
    /// SISAB: when the uploads were received (default: the last on-time day).
    pub received: Option<Received>,
    /// FNS and the report's team detail: the municipality the file was asked for.
    pub ibge: Option<Ibge>,
    /// The report's team detail: the parcela it was asked for.
    pub parcela: Option<Parcela>,
    /// Portarias: the act, number, date and first parcela of the portaria whose annex the file is.
    pub portaria: Option<crate::portarias::Portaria>,
}

/// Reads `path` whole as `source`: its facts, or the reason it is refused (nothing is written here).
pub fn read(
    source: Source,
    path: &Path,
    options: &Options,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Parsed, Error> {
    match source {
        Source::Cnes => crate::cnes::read(path, progress),
        Source::Sisab => crate::sisab::read(
            path,
            options.competencia,
            options.received.unwrap_or(Received::Deadline),
        ),
        Source::Relatorio => crate::relatorio::read(path, options.ibge, options.parcela),
        Source::Fns => crate::fns::read(path, options.ibge),
        Source::Parametros => crate::parametros::read(path),
        Source::Portarias => match &options.portaria {
            Some(portaria) => crate::portarias::read(path, portaria),
            None => Err(Error::refused(
                path,
                "o anexo de uma portaria precisa do ato, do número, da data e da parcela de início dados ao lado do arquivo",
            )),
        },
    }
}
