//! The event catalog: the contract with every producer and integrator of the repasse ledger.
//!
//! Value types here are valid by construction (an [`Ine`] always has 10 digits, a [`Cpf`] always has
//! correct check digits): raw strings stop at the edge. Events come in two kinds, [`fact::Fact`] (what an
//! outside system reported) and [`decision::Decision`] (what the rules concluded), each carried in an
//! [`envelope::Envelope`]. [`codec`] encodes them as postcard on the wire and JSON for people, with explicit
//! schema versions and upcasters; [`subject`] names the NATS subjects.

pub mod calendar;
pub mod codec;
pub mod date;
pub mod decision;
pub mod envelope;
pub mod fact;
pub mod ids;
pub mod money;
pub mod period;
pub mod subject;
pub mod team;
pub mod uf;

pub use date::{Date, DateError, Timestamp, TimestampError};
pub use decision::Decision;
pub use envelope::{About, Envelope, EventId, SourceRef};
pub use fact::Fact;
pub use ids::{Cbo, Cnes, Cns, Cpf, Ibge, IdError, Ine};
pub use money::{Money, MoneyError};
pub use period::{Competencia, Parcela, PeriodError, YearMonth};
pub use team::{
    Classe, CredentialType, Estrato, Plano, QualityComponent, ScnesTeamType, TeamFamily, TeamType,
};
pub use uf::{Region, Uf, UfError};
