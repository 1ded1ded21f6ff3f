//! Every rule id of RULES.md §1–9 with its section, percentage, the teams it applies to and its citation:
//! what explanations, tests and the API name. Code names a rule by [`RuleId`], never by its text, so an id
//! cannot be misspelt; the text form (`SUSP.50.SISAB`) is what people and the JSON read.

/// A rule of the ledger: stable id, short pt-BR title, and the citation shown to auditors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Rule {
    #[serde(skip)]
    pub key: RuleId,
    /// The id as RULES.md writes it.
    pub id: &'static str,
    /// The section of RULES.md.
    pub section: &'static str,
    /// The suspension's percentage, for suspension rules.
    pub pct: Option<u8>,
    /// The teams it applies to, as RULES.md writes them.
    pub teams: &'static str,
    pub title: &'static str,
    pub citation: &'static str,
}

macro_rules! rules {
    ($($key:ident, $name:ident = $id:literal, $section:literal, $pct:expr, $teams:literal, $title:literal, $citation:literal;)+) => {
        /// Every rule of the catalog, by name: what code uses instead of the id's text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($key,)+
        }

        $(pub const $name: Rule = Rule {
            key: RuleId::$key,
            id: $id,
            section: $section,
            pct: $pct,
            teams: $teams,
            title: $title,
            citation: $citation,
        };)+

        /// Every rule, in catalog order (the order of `RuleId`).
        pub const ALL: &[Rule] = &[$($name),+];
    };
}

rules! {
    CalParcela, CAL_PARCELA = "CAL.PARCELA", "§1", None, "todas", "Parcela P paga a competência P − 2", "NT 829/2022 §5.2.1; FAQ Portaria GM/MS 3.493/2024 Q2";
    CalDiaUtil, CAL_DIA_UTIL = "CAL.DIA_UTIL", "§1", None, "todas", "Dias úteis excluem sábados, domingos e feriados nacionais", "Portaria SAPS nº 4/2021, art. 2º, §1º";
    CalSisabPrazo, CAL_SISAB_PRAZO = "CAL.SISAB_PRAZO", "§1", None, "todas", "Produção no prazo até o 10º dia útil de C + 1", "NT 829/2022 §4.3";
    CalSisabDescarte, CAL_SISAB_DESCARTE = "CAL.SISAB_DESCARTE", "§1", None, "todas", "Produção recebida 4 meses após o prazo é descartada", "NT 829/2022 §5.1.2";
    CalNovoModelo, CAL_NOVO_MODELO = "CAL.NOVO_MODELO", "§1", None, "todas", "Novo modelo a partir da parcela 2024-05; transição até 2025-04", "FAQ Portaria GM/MS 3.493/2024 Q1, Q5, Q8";
    ValCredenciada, VAL_CREDENCIADA = "VAL.CREDENCIADA", "§2", None, "todas", "Equipe dentro da quantidade credenciada", "NT 829/2022 §3.2; FAQ Portaria GM/MS 3.493/2024 Q19";
    ValHomologada, VAL_HOMOLOGADA = "VAL.HOMOLOGADA", "§2", None, "todas", "Equipe homologada por portaria e não cancelada", "NT 829/2022 §3.2";
    ValCadastrada, VAL_CADASTRADA = "VAL.CADASTRADA", "§2", None, "todas", "Equipe cadastrada no SCNES na competência", "NT 829/2022 §3.2";
    ValTeto, VAL_TETO = "VAL.TETO", "§2", None, "todas", "Credenciamento dentro do teto populacional", "FAQ Portaria GM/MS 3.493/2024 Q15–Q16";
    Susp25AuxOuAcs, SUSP_25_AUX_OU_ACS = "SUSP.25.AUX_OU_ACS", "§4", Some(25), "eSF", "Ausência de auxiliar/técnico de enfermagem ou de ACS por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp50AuxEAcs, SUSP_50_AUX_E_ACS = "SUSP.50.AUX_E_ACS", "§4", Some(50), "eSF", "Ausência de auxiliar/técnico de enfermagem e de ACS por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp50Sisab, SUSP_50_SISAB = "SUSP.50.SISAB", "§4", Some(50), "eSF, eAP", "Sem produção válida no SISAB por 3 competências consecutivas", "Portaria GM/MS 6.907/2025; NT 829/2022 §4";
    Susp50Duplicidade, SUSP_50_DUPLICIDADE = "SUSP.50.DUPLICIDADE", "§4", Some(50), "eSF", "Profissional vinculado a outra equipe homologada em C − 1 e C", "Portaria GM/MS 6.907/2025; NT 829/2022 §4.2.1";
    Susp75DuasCategorias, SUSP_75_DUAS_CATEGORIAS = "SUSP.75.DUAS_CATEGORIAS", "§4", Some(75), "eSF", "Ausência de médico ou enfermeiro e de ACS ou auxiliar por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp75MedOuEnf, SUSP_75_MED_OU_ENF = "SUSP.75.MED_OU_ENF", "§4", Some(75), "eSF, eAP", "Ausência de médico ou de enfermeiro por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp100TresCategorias, SUSP_100_TRES_CATEGORIAS = "SUSP.100.TRES_CATEGORIAS", "§4", Some(100), "eSF", "Ausência de três ou mais categorias", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp100MedEEnf, SUSP_100_MED_E_ENF = "SUSP.100.MED_E_ENF", "§4", Some(100), "eSF, eAP", "Ausência de médico e de enfermeiro", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp100SemCadastro, SUSP_100_SEM_CADASTRO = "SUSP.100.SEM_CADASTRO", "§4", Some(100), "eSF, eAP", "Sem registro ativo da equipe no SCNES", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp100Carga60h, SUSP_100_CARGA_60H = "SUSP.100.CARGA_60H", "§4", Some(100), "eSF, eAP", "Profissional com mais de 60 horas semanais somadas", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    Susp100OrgaoControle, SUSP_100_ORGAO_CONTROLE = "SUSP.100.ORGAO_CONTROLE", "§4", Some(100), "eSF, eAP", "Suspensão por órgão de controle até o levantamento", "PRC GM/MS 6/2017, art. 12-N (Portaria GM/MS 6.907/2025)";
    Susp100AcsSisab, SUSP_100_ACS_SISAB = "SUSP.100.ACS_SISAB", "§4", Some(100), "ACS", "ACS sem produção válida por 6 competências consecutivas", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SuspRevogacao, SUSP_REVOGACAO = "SUSP.REVOGACAO", "§4", None, "todas", "Irregularidade em 12 competências consecutivas: credenciamento revogado", "Portaria GM/MS 6.907/2025";
    PagFixo, PAG_FIXO = "PAG.FIXO", "§5", None, "todas", "Componente fixo pelo estrato IED", "Portaria GM/MS 3.493/2024; FAQ Q4, Q5";
    PagVinculo, PAG_VINCULO = "PAG.VINCULO", "§5", None, "todas", "Componente vínculo e acompanhamento pela classificação", "Portaria GM/MS 3.493/2024; FAQ Q6";
    PagQualidade, PAG_QUALIDADE = "PAG.QUALIDADE", "§5", None, "todas", "Componente qualidade pela classificação", "Portaria GM/MS 3.493/2024; FAQ Q6, Figura 3";
    PagTransicao, PAG_TRANSICAO = "PAG.TRANSICAO", "§5", None, "todas", "Transição: vínculo e qualidade como \"bom\" até 2025-04", "FAQ Portaria GM/MS 3.493/2024 Q5, Q7, Q8";
    PagAcs, PAG_ACS = "PAG.ACS", "§5", None, "todas", "Incentivo por agente comunitário de saúde", "Portaria GM/MS 3.493/2024; relatório público de pagamentos";
    PagImplantacao, PAG_IMPLANTACAO = "PAG.IMPLANTACAO", "§5", None, "todas", "Incentivo de implantação na primeira parcela", "FAQ Portaria GM/MS 3.493/2024 Q9–Q11";
    PagArredondamento, PAG_ARREDONDAMENTO = "PAG.ARREDONDAMENTO", "§5", None, "todas", "Cada linha arredondada uma vez ao centavo, metade para longe do zero", "Tabelas do Ministério (Portaria GM/MS 3.493/2024)";
    IedEstrato, IED_ESTRATO = "IED.ESTRATO", "§5", None, "todas", "Estrato IED publicado no Anexo VI", "Portaria GM/MS 3.493/2024, Anexo VI; FAQ Q4";
    RecompBase, RECOMP_BASE = "RECOMP.BASE", "§6", None, "município", "Base: eSF/eAP recebido nas 12 parcelas antes de 2024-05", "PRC GM/MS 6/2017, art. 12-T (Portaria GM/MS 3.493/2024); FAQ Q17";
    RecompNovo, RECOMP_NOVO = "RECOMP.NOVO", "§6", None, "município", "Novo: efetivo eSF/eAP de 2024-05 a 2025-04, recalculado", "PRC GM/MS 6/2017, art. 12-T; FAQ Q17";
    RecompValor, RECOMP_VALOR = "RECOMP.VALOR", "§6", None, "município", "Recomposição (B − N) ÷ 12 e compensação × 1,10", "PRC GM/MS 6/2017, art. 12-T; FAQ Q17";
    RecompCondicao, RECOMP_CONDICAO = "RECOMP.CONDICAO", "§6", None, "município", "Compensação enquanto mantida a quantidade equivalente de equipes", "PRC GM/MS 6/2017, art. 12-T; FAQ Q17";
    RetroDistincao, RETRO_DISTINCAO = "RETRO.DISTINCAO", "§7", None, "todas", "Ajuste corrige erro do Ministério sem pedido; crédito retroativo devolve o suspenso por irregularidade do município", "NT 829/2022 §5.1.1";
    RetroFluxo, RETRO_FLUXO = "RETRO.FLUXO", "§7", None, "todas", "Pedido do município à SES, encaminhado pela SES ao Ministério, com município, irregularidade, justificativa, equipe e parcela", "NT 829/2022 §5.2.4–5.2.6, Anexo I";
    RetroPrazo, RETRO_PRAZO = "RETRO.PRAZO", "§7", None, "todas", "Prazo: último dia da parcela + 5 meses, contado na entrada no SEI", "NT 829/2022 §5.2.2, §6.1.b";
    RetroInelegivel, RETRO_INELEGIVEL = "RETRO.INELEGIVEL", "§7", None, "todas", "Nunca elegíveis: duplicidade, ausência de profissionais, órgão de controle, equipe não válida ou sem homologação", "NT 829/2022 §5.1.3, §5.1.4, §5.1.6, §6.1.c";
    RetroSisab, RETRO_SISAB = "RETRO.SISAB", "§7", None, "eSF, eAP, ACS", "Suspensão SISAB elegível só se as competências faltantes foram enviadas e aprovadas antes do descarte", "NT 829/2022 §5.1.2, §5.2.5";
    RetroForma, RETRO_FORMA = "RETRO.FORMA", "§7", None, "todas", "Pedido sem assinatura, fora do modelo, ilegível ou incompleto é indeferido", "NT 829/2022 §6.1 (observação)";
    RetroDecisao, RETRO_DECISAO = "RETRO.DECISAO", "§7", None, "todas", "Deferido: o valor suspenso entra como ajuste na próxima parcela aberta", "NT 829/2022 §5.2.7.d";
    AaeAdesao, AAE_ADESAO = "AAE.ADESAO", "§8", None, "PAR", "Adesão: Termo, PAR e resolução CIB; PAR aprovado pela SAES", "Portaria GM/MS 3.492/2024, arts. 8º e 11";
    AaeIncentivo, AAE_INCENTIVO = "AAE.INCENTIVO", "§8", None, "PAR", "Incentivo pela população do PAR: 1.200.000, 600.000 ou 360.000", "Portaria GM/MS 3.492/2024, art. 15 §1º";
    AaeEtapas, AAE_ETAPAS = "AAE.ETAPAS", "§8", None, "PAR", "50 % após a aprovação do PAR com a resolução CIB; 50 % após executar 50 % da produção prevista", "Portaria GM/MS 3.492/2024, art. 15 §2º–§4º";
    AaeOci, AAE_OCI = "AAE.OCI", "§8", None, "OCI", "OCI concluída adequadamente: obrigatórios registrados em APAC e primeiro ao último ≤ tM; cobrança em duplicidade sinalizada", "Portaria GM/MS 3.492/2024, arts. 6º, 14 §2º, 16 I";
    AperfJanela, APERF_JANELA = "APERF.JANELA", "§9", None, "entes", "Adesão no e-Gestor de 15/11/2025 a 30/11/2025; exclusão só antes do fim do período", "NT 425/2025 §6.3.2, §8.1";
    AperfResultado, APERF_RESULTADO = "APERF.RESULTADO", "§9", None, "entes", "Resultado em até 3 dias úteis; adesão válida por 24 meses da publicação; pode ser suspensa", "NT 425/2025 §8.2, §8.3, §9.2";
    AperfElegivel, APERF_ELEGIVEL = "APERF.ELEGIVEL", "§9", None, "profissionais", "Inscrição só de profissional vinculado no CNES a estabelecimento de ente com adesão válida", "NT 425/2025 §5.4, §7.1";
}

/// Looks a rule up by the id's text, as people and JSON write it.
pub fn find(id: &str) -> Option<Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}

impl Rule {
    /// The percentage this rule suspends a team by when it holds: its own, except SUSP.100.ACS_SISAB,
    /// which suspends one agent's line and is no reason of the team's percentage (RULES.md §4).
    pub fn team_pct(&self) -> Option<u8> {
        match self.key {
            RuleId::Susp100AcsSisab => None,
            _ => self.pct,
        }
    }
}

impl RuleId {
    /// The rule's entry in the catalog.
    pub fn rule(self) -> Rule {
        ALL[self as usize]
    }

    /// The id's text (`SUSP.50.SISAB`).
    pub fn code(self) -> &'static str {
        self.rule().id
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A set of rules of the catalog, as a bitmask over `ALL`: a team status carries two (reasons, failed
/// validity rules) and the evaluations keep one status per team per competência, so at national scale
/// this is 8 bytes where a list of ids was 24 plus its allocation. Iterates, prints and serializes as the
/// ids sorted, exactly as the list it replaces.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RuleSet(u64);

const _: () = assert!(ALL.len() <= 64, "RuleSet holds at most 64 rules");

/// Indices into `ALL`, in the order of their ids.
static BY_ID: std::sync::LazyLock<Vec<usize>> = std::sync::LazyLock::new(|| {
    let mut order: Vec<usize> = (0..ALL.len()).collect();
    order.sort_unstable_by_key(|&i| ALL[i].id);
    order
});

impl RuleSet {
    pub const EMPTY: RuleSet = RuleSet(0);

    /// Adds a rule.
    pub fn insert(&mut self, rule: RuleId) {
        self.0 |= 1 << rule as u32;
    }

    pub fn contains(&self, rule: RuleId) -> bool {
        self.0 & (1 << rule as u32) != 0
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// The ids, sorted (without allocating: the catalog's order by id is computed once).
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + use<> {
        let bits = self.0;
        BY_ID
            .iter()
            .filter(move |&&i| bits & (1 << i) != 0)
            .map(|&i| ALL[i].id)
    }

    pub fn to_vec(&self) -> Vec<&'static str> {
        self.iter().collect()
    }

    pub fn join(&self, separator: &str) -> String {
        self.to_vec().join(separator)
    }
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl serde::Serialize for RuleSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl FromIterator<RuleId> for RuleSet {
    fn from_iter<I: IntoIterator<Item = RuleId>>(rules: I) -> RuleSet {
        let mut set = RuleSet::EMPTY;
        for rule in rules {
            set.insert(rule);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_set_lists_its_ids_sorted_like_the_list_it_replaces() {
        let set: RuleSet = [
            RuleId::SuspRevogacao,
            RuleId::Susp100Carga60h,
            RuleId::Susp50Sisab,
        ]
        .into_iter()
        .collect();
        assert_eq!(
            set.to_vec(),
            ["SUSP.100.CARGA_60H", "SUSP.50.SISAB", "SUSP.REVOGACAO"]
        );
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"["SUSP.100.CARGA_60H","SUSP.50.SISAB","SUSP.REVOGACAO"]"#
        );
        assert!(set.contains(RuleId::Susp50Sisab) && !set.contains(RuleId::ValTeto));
        assert_eq!(set.len(), 3);
        assert!(RuleSet::EMPTY.is_empty());
    }

    #[test]
    fn every_entry_sits_at_its_own_key_and_ids_are_unique() {
        for (i, rule) in ALL.iter().enumerate() {
            assert_eq!(rule.key as usize, i, "{}", rule.id);
            assert_eq!(rule.key.rule(), *rule);
            assert_eq!(find(rule.id), Some(*rule));
        }
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
    }

    #[test]
    fn suspension_rules_carry_the_percentage_of_their_id() {
        for rule in ALL.iter().filter(|r| r.id.starts_with("SUSP.")) {
            let from_id = rule.id.split('.').nth(1).and_then(|p| p.parse::<u8>().ok());
            assert_eq!(rule.pct, from_id, "{}", rule.id);
        }
    }
}
