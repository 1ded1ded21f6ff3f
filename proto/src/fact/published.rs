//! What the Ministry published about a parcela (the e-Gestor APS payment report), kept as facts so that
//! reconciliation can set it beside the ledger's own computation. They never change a decision.

use serde::{Deserialize, Serialize};

use crate::{Ibge, Ine, Money, Parcela, Plano};

/// One plano of a municipality's parcela as the payment report published it (`resumosPlanosOrcamentarios`):
/// discounts are kept positive, as the ledger's statements show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedStatement {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    pub integral: Money,
    pub desconto: Money,
    pub ajuste: Money,
    /// What the report says was transferred for the plano, `vlEfetivoRepasse` (the implantation
    /// incentives are apart, `vlTotalImplantacao`, as in the ledger's statements).
    pub efetivo: Money,
    pub implantacao: Money,
}

/// One team of the report's team detail (`validacoesEquipes`): its composition and each suspension flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedTeam {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub ine: Ine,
    /// `composicao`: the share of the team's value its composition earns (100, 75, 50 or 25).
    #[serde(default)]
    pub composition_pct: Option<u8>,
    /// `stPagamento` valid or paid.
    pub paid: bool,
    /// `stSuspensaoDuplicidadeEsf`.
    pub duplicity: bool,
    /// `stSuspensaoProducao`.
    pub production: bool,
    /// `stSuspensaoComposicaoProprc`.
    pub composition: bool,
    /// `stSuspensaoOrgControle`.
    pub control_body: bool,
    /// `stPossuiProfAcimacargahora`.
    pub over_hours: bool,
}
