//! Every rule id of RULES.md §1–6 with its citation: what explanations, tests and the API name.

/// A rule of the ledger: stable id, short pt-BR title, and the citation shown to auditors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub citation: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $title:literal, $citation:literal;)+) => {
        $(pub const $name: Rule = Rule { id: $id, title: $title, citation: $citation };)+
        /// Every rule, in catalog order.
        pub const ALL: &[Rule] = &[$($name),+];
    };
}

rules! {
    CAL_PARCELA = "CAL.PARCELA", "Parcela P paga a competência P − 2", "NT 829/2022 §5.2.1; FAQ Portaria GM/MS 3.493/2024 Q2";
    CAL_DIA_UTIL = "CAL.DIA_UTIL", "Dias úteis excluem sábados, domingos e feriados nacionais", "Portaria SAPS nº 4/2021, art. 2º, §1º";
    CAL_SISAB_PRAZO = "CAL.SISAB_PRAZO", "Produção no prazo até o 10º dia útil de C + 1", "NT 829/2022 §4.3";
    CAL_SISAB_DESCARTE = "CAL.SISAB_DESCARTE", "Produção recebida 4 meses após o prazo é descartada", "NT 829/2022 §5.1.2";
    CAL_NOVO_MODELO = "CAL.NOVO_MODELO", "Novo modelo a partir da parcela 2024-05; transição até 2025-04", "FAQ Portaria GM/MS 3.493/2024 Q1, Q5, Q8";
    VAL_CREDENCIADA = "VAL.CREDENCIADA", "Equipe dentro da quantidade credenciada", "NT 829/2022 §3.2; FAQ Portaria GM/MS 3.493/2024 Q19";
    VAL_HOMOLOGADA = "VAL.HOMOLOGADA", "Equipe homologada por portaria e não cancelada", "NT 829/2022 §3.2";
    VAL_CADASTRADA = "VAL.CADASTRADA", "Equipe cadastrada no SCNES na competência", "NT 829/2022 §3.2";
    VAL_TETO = "VAL.TETO", "Credenciamento dentro do teto populacional", "FAQ Portaria GM/MS 3.493/2024 Q15–Q16";
    SUSP_25_AUX_OU_ACS = "SUSP.25.AUX_OU_ACS", "Ausência de auxiliar/técnico de enfermagem ou de ACS por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_50_AUX_E_ACS = "SUSP.50.AUX_E_ACS", "Ausência de auxiliar/técnico de enfermagem e de ACS por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_50_SISAB = "SUSP.50.SISAB", "Sem produção válida no SISAB por 3 competências consecutivas", "Portaria GM/MS 6.907/2025; NT 829/2022 §4";
    SUSP_50_DUPLICIDADE = "SUSP.50.DUPLICIDADE", "Profissional vinculado a outra equipe homologada em C − 1 e C", "Portaria GM/MS 6.907/2025; NT 829/2022 §4.2.1";
    SUSP_75_DUAS_CATEGORIAS = "SUSP.75.DUAS_CATEGORIAS", "Ausência de médico ou enfermeiro e de ACS ou auxiliar por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_75_MED_OU_ENF = "SUSP.75.MED_OU_ENF", "Ausência de médico ou de enfermeiro por 2 competências", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_100_TRES_CATEGORIAS = "SUSP.100.TRES_CATEGORIAS", "Ausência de três ou mais categorias", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_100_MED_E_ENF = "SUSP.100.MED_E_ENF", "Ausência de médico e de enfermeiro", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_100_SEM_CADASTRO = "SUSP.100.SEM_CADASTRO", "Sem registro ativo da equipe no SCNES", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_100_CARGA_60H = "SUSP.100.CARGA_60H", "Profissional com mais de 60 horas semanais somadas", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_100_ORGAO_CONTROLE = "SUSP.100.ORGAO_CONTROLE", "Suspensão por órgão de controle até o levantamento", "PRC GM/MS 6/2017, art. 12-N (Portaria GM/MS 6.907/2025)";
    SUSP_100_ACS_SISAB = "SUSP.100.ACS_SISAB", "ACS sem produção válida por 6 competências consecutivas", "Portaria GM/MS 6.907/2025 (Anexo C da PRC 6/2017)";
    SUSP_REVOGACAO = "SUSP.REVOGACAO", "Irregularidade em 12 competências consecutivas: credenciamento revogado", "Portaria GM/MS 6.907/2025";
    PAG_FIXO = "PAG.FIXO", "Componente fixo pelo estrato IED", "Portaria GM/MS 3.493/2024; FAQ Q4, Q5";
    PAG_VINCULO = "PAG.VINCULO", "Componente vínculo e acompanhamento pela classificação", "Portaria GM/MS 3.493/2024; FAQ Q6";
    PAG_QUALIDADE = "PAG.QUALIDADE", "Componente qualidade pela classificação", "Portaria GM/MS 3.493/2024; FAQ Q6, Figura 3";
    PAG_TRANSICAO = "PAG.TRANSICAO", "Transição: vínculo e qualidade como \"bom\" até 2025-04", "FAQ Portaria GM/MS 3.493/2024 Q5, Q7, Q8";
    PAG_ACS = "PAG.ACS", "Incentivo por agente comunitário de saúde", "Portaria GM/MS 3.493/2024; relatório público de pagamentos";
    PAG_IMPLANTACAO = "PAG.IMPLANTACAO", "Incentivo de implantação na primeira parcela", "FAQ Portaria GM/MS 3.493/2024 Q9–Q11";
    PAG_ARREDONDAMENTO = "PAG.ARREDONDAMENTO", "Cada linha arredondada uma vez ao centavo, metade para longe do zero", "Tabelas do Ministério (Portaria GM/MS 3.493/2024)";
    IED_ESTRATO = "IED.ESTRATO", "Estrato IED publicado no Anexo VI", "Portaria GM/MS 3.493/2024, Anexo VI; FAQ Q4";
    RECOMP_BASE = "RECOMP.BASE", "Base: eSF/eAP recebido nas 12 parcelas antes de 2024-05", "PRC GM/MS 6/2017, art. 12-T (Portaria GM/MS 3.493/2024); FAQ Q17";
    RECOMP_NOVO = "RECOMP.NOVO", "Novo: efetivo eSF/eAP de 2024-05 a 2025-04, recalculado", "PRC GM/MS 6/2017, art. 12-T; FAQ Q17";
    RECOMP_VALOR = "RECOMP.VALOR", "Recomposição (B − N) ÷ 12 e compensação × 1,10", "PRC GM/MS 6/2017, art. 12-T; FAQ Q17";
    RECOMP_CONDICAO = "RECOMP.CONDICAO", "Compensação enquanto mantida a quantidade equivalente de equipes", "PRC GM/MS 6/2017, art. 12-T; FAQ Q17";
}

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<Rule> {
    ALL.iter().copied().find(|r| r.id == id)
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

    /// Adds the rule with this id. Ids come from the catalog's constants: an unknown one is a bug.
    pub fn insert(&mut self, id: &str) {
        let index = ALL
            .iter()
            .position(|r| r.id == id)
            .unwrap_or_else(|| panic!("rule {id} is not in the catalog"));
        self.0 |= 1 << index;
    }

    pub fn contains(&self, id: &str) -> bool {
        ALL.iter()
            .position(|r| r.id == id)
            .is_some_and(|index| self.0 & (1 << index) != 0)
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

impl<'a> FromIterator<&'a str> for RuleSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(ids: I) -> RuleSet {
        let mut set = RuleSet::EMPTY;
        for id in ids {
            set.insert(id);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_set_lists_its_ids_sorted_like_the_list_it_replaces() {
        let set: RuleSet = [SUSP_REVOGACAO.id, SUSP_100_CARGA_60H.id, SUSP_50_SISAB.id]
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
        assert!(set.contains(SUSP_50_SISAB.id) && !set.contains(VAL_TETO.id));
        assert_eq!(set.len(), 3);
        assert!(RuleSet::EMPTY.is_empty());
    }

    #[test]
    #[should_panic(expected = "not in the catalog")]
    fn an_id_outside_the_catalog_is_a_bug() {
        let mut set = RuleSet::EMPTY;
        set.insert("SUSP.99.INVENTADA");
    }
}
