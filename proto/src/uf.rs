//! The 27 federative units, with their IBGE codes and regions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Region {
    Norte,
    Nordeste,
    CentroOeste,
    Sudeste,
    Sul,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("UF inválida \"{input}\": esperada a sigla de uma das 27 unidades federativas, ex. PE")]
pub struct UfError {
    pub input: String,
}

macro_rules! ufs {
    ($($uf:ident = $code:literal, $region:ident;)+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Uf { $($uf),+ }

        impl Uf {
            pub const ALL: [Uf; 27] = [$(Uf::$uf),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Uf::$uf => stringify!($uf)),+ }
            }
            /// The two-digit IBGE code that starts every municipality code of the state.
            pub fn ibge_code(self) -> u8 {
                match self { $(Uf::$uf => $code),+ }
            }
            pub fn from_ibge_code(code: u8) -> Option<Uf> {
                match code { $($code => Some(Uf::$uf),)+ _ => None }
            }
            pub fn region(self) -> Region {
                match self { $(Uf::$uf => Region::$region),+ }
            }
        }

        impl FromStr for Uf {
            type Err = UfError;
            fn from_str(input: &str) -> Result<Uf, UfError> {
                match input {
                    $(stringify!($uf) => Ok(Uf::$uf),)+
                    _ => Err(UfError { input: input.to_owned() }),
                }
            }
        }
    };
}

ufs! {
    RO = 11, Norte; AC = 12, Norte; AM = 13, Norte; RR = 14, Norte; PA = 15, Norte; AP = 16, Norte;
    TO = 17, Norte; MA = 21, Nordeste; PI = 22, Nordeste; CE = 23, Nordeste; RN = 24, Nordeste;
    PB = 25, Nordeste; PE = 26, Nordeste; AL = 27, Nordeste; SE = 28, Nordeste; BA = 29, Nordeste;
    MG = 31, Sudeste; ES = 32, Sudeste; RJ = 33, Sudeste; SP = 35, Sudeste; PR = 41, Sul; SC = 42, Sul;
    RS = 43, Sul; MS = 50, CentroOeste; MT = 51, CentroOeste; GO = 52, CentroOeste; DF = 53, CentroOeste;
}

impl fmt::Display for Uf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Uf {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.as_str())
        } else {
            s.serialize_u8(self.ibge_code())
        }
    }
}

impl<'de> Deserialize<'de> for Uf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d)?
                .parse()
                .map_err(serde::de::Error::custom)
        } else {
            let code = u8::deserialize(d)?;
            Uf::from_ibge_code(code).ok_or_else(|| {
                serde::de::Error::custom(format!("código de UF {code} desconhecido"))
            })
        }
    }
}
