//! The Fund's payment orders in the layout of the `detalhe-pagamento` route (`docs/spec/FORMATS.md` §5):
//! what `repasse demo-data --formato fns` and `repasse demo --from-files` feed the reader. The route is
//! asked per municipality and its rows name none; a national set is written per UF with each order's
//! `codigoIBGE` as the order's own detail (`detalhe-ordem-bancaria`) gives it, so one command reads them
//! all. Money is written as strings (`"9100.00"`), one of the two forms the route was seen to use.

use std::io::{self, Write};
use std::path::Path;

use repasse_proto::{Date, Ibge, Money, Parcela, Plano, Uf};
use serde_json::json;

/// One payment order (OB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub ibge: Ibge,
    pub uf: Uf,
    pub parcela: Parcela,
    pub plano: Plano,
    pub amount: Money,
    /// The OB's number, unique among the orders written (6 digits).
    pub number: u32,
    pub paid_on: Date,
}

/// The programme a plano is paid under, as the Fund describes it (read back by `plano_of_programme`).
pub fn programme(plano: Plano) -> &'static str {
    match plano {
        Plano::EsfEap => "INCENTIVO FINANCEIRO DA APS - EQUIPES DE SAÚDE DA FAMÍLIA/ESF",
        Plano::Acs => "ASSISTÊNCIA FINANCEIRA COMPLEMENTAR - AGENTES COMUNITÁRIOS DE SAÚDE",
        Plano::SaudeBucal => "INCENTIVO FINANCEIRO DA APS - SAÚDE BUCAL",
        Plano::EMulti => "INCENTIVO FINANCEIRO DA APS - EQUIPES MULTIPROFISSIONAIS - EMULTI",
        Plano::Demais => "INCENTIVO FINANCEIRO DA APS - DEMAIS PROGRAMAS, SERVIÇOS E EQUIPES",
        Plano::Aae => "INCENTIVO FINANCEIRO - ATENÇÃO AMBULATORIAL ESPECIALIZADA",
    }
}

/// Writes `orders` as one answer of the route at `path` (the envelope with its paging fields).
pub fn write_orders(path: &Path, orders: &[Order]) -> io::Result<()> {
    let dados: Vec<_> = orders
        .iter()
        .map(|o| {
            let d = o.paid_on;
            let amount = Money::from_centavos(o.amount.centavos()).to_string();
            json!({
                "competencia": format!("{:02}/12 em {}", o.parcela.month(), o.parcela.year()),
                "numeroDocumentoSiafi": format!("{:06}", o.number),
                "tipoDocumentoPagamento": "OB",
                "dataCriacaoSiafi": format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
                "anoPagamento": d.year().to_string(),
                "mesPagamento": format!("{:02}", d.month()),
                "uf": o.uf.as_str(),
                "codigoIBGE": o.ibge.to_string(),
                "codigoBanco": "001",
                "codigoAgencia": "0000",
                "contaCorrente": "000000",
                "valorTotal": amount,
                "valorDescontoTotal": "0.00",
                "valorLiquido": amount,
                "valorAnulacao": 0,
                "motivoRejeicao": null,
                "nuPortaria": "3493",
                "nomeComponente": "ATENÇÃO PRIMÁRIA",
                "tipoRepasse": "FUNDO A FUNDO",
                "id": {
                    "ano": d.year(),
                    "mes": d.month(),
                    "esferaAdministrativa": "MUNICIPAL",
                    "indicadorFundoAFundo": "S",
                    "processoFormatado": format!("25000.{:06}/{}-{:02}", o.number, d.year(), d.month()),
                    "programaFundo": { "id": 1, "descricao": programme(o.plano) },
                    "processoEntidadePrograma": { "projeto": { "numeroSubprojeto": 1 } }
                }
            })
        })
        .collect();
    let total = dados.len();
    let body = json!({
        "resultado": { "dados": dados, "pagina": 0, "total": total, "totalPaginas": 1, "itensPorPagina": total }
    });
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer(&mut out, &body)?;
    out.flush()
}
