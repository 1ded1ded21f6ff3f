//! `repasse`: the one command-line program of the repasse ledger. Wiring only: the logic lives in the
//! library crates. Data goes to stdout, everything else (progress, logs) to stderr.

use clap::{Parser, Subcommand};

mod cmd;

/// jemalloc, not the system allocator: the projector holds a national Ledger (over a gigabyte of small
/// allocations) and makes and drops thousands of values at each decision point; on glibc's heap that
/// churn cost more than the work (a parcela's 5,570 statement envelopes: 9 → 6 ms; a competência's
/// close: 54–91 → 35–40 ms; `bench decisions`), for the same or a lower peak RSS.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// O razão do repasse federal da Atenção Primária (Piso da APS): guarda cada fato como evento imutável,
/// recalcula cada decisão pelas regras das portarias e explica cada valor até o artigo.
#[derive(Debug, Parser)]
#[command(name = "repasse", version, propagate_version = true)]
#[command(
    after_help = "Comece por `repasse demo`: gera um histórico nacional sintético sobre os 5.570 \
municípios reais, grava no log embutido, recalcula e imprime o resumo nacional."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Roda o histórico nacional sintético de ponta a ponta no log embutido e imprime o resumo nacional.
    Demo(cmd::demo::Args),
    /// Gera o histórico nacional sintético (determinístico pela semente) em JSON lines ou num log embutido.
    DemoData(cmd::demo_data::Args),
    /// Lê arquivos de uma fonte e grava seus fatos no stream de fatos; cada arquivo é conferido inteiro
    /// antes de gravar, e as linhas inutilizáveis vão para a quarentena.
    #[command(subcommand)]
    Ingest(cmd::ingest::Command),
    /// Explica a situação de uma equipe numa competência: regras aplicadas e verificadas, citações, fatos e
    /// parâmetros.
    Explain(cmd::explain::Args),
    /// Concilia uma parcela: o devido pelas regras, o publicado no relatório do e-Gestor e o pago pelas
    /// ordens do Fundo, por município e plano, com cada divergência classificada e explicada.
    Reconcile(cmd::reconcile::Args),
    /// Crédito retroativo (NT 829/2022): a recomendação do razão para cada pedido, com cada regra
    /// verificada, a decisão do Ministério e o ajuste lançado.
    Retro(cmd::programmes::RetroArgs),
    /// Atenção ambulatorial especializada (Portaria GM/MS 3.492/2024): incentivo e etapas de cada PAR e as
    /// OCI de cada APAC.
    Aae(cmd::programmes::AaeArgs),
    /// Aperfeiçoamento (NT 425/2025): o profissional pode se inscrever nesta data? Com a explicação.
    Aperf(cmd::programmes::AperfArgs),
    /// Recalcula uma parcela só a partir do log, até uma posição ou data, e imprime o demonstrativo e o hash.
    Replay(cmd::replay::Args),
    /// Projetor: segue o stream de fatos, grava os modelos de leitura com ponto de controle e publica as
    /// decisões (suspensões, revogações, demonstrativos, selos) exatamente uma vez.
    Project(cmd::project::Args),
    /// O projetor de `project` e, no mesmo processo, a API HTTP (JSON) dos seus modelos de leitura.
    Serve(cmd::serve::ServeArgs),
    /// Gera um token da API para um papel e imprime a entrada do arquivo de tokens (só o hash).
    Token(cmd::serve::TokenArgs),
    /// Reconstrói os modelos de leitura numa nova geração, ao lado da atual, e troca ao final.
    Rebuild(cmd::project::RebuildArgs),
    /// O que mudou numa parcela selada: equipes, valores e os fatos posteriores ao selo que as tocam.
    Diff(cmd::audit::DiffArgs),
    /// Exporta o stream de fatos (ou um trecho) e os selos num arquivo com hashes encadeados.
    Export(cmd::audit::ExportArgs),
    /// Confere um arquivo de `repasse export` sem servidor: cadeia de hashes e cada selo recalculado.
    Verify(cmd::audit::VerifyArgs),
    /// Restaura um arquivo de `repasse export` num stream de fatos vazio: cada fato na sua posição, com o seu id.
    Restore(cmd::audit::RestoreArgs),
    /// Casos de referência (golden cases): reexecuta fatos e confere as decisões esperadas.
    #[command(subcommand)]
    Case(cmd::case::Command),
    /// Medições de desempenho (imprimem um objeto JSON em stdout).
    #[command(subcommand)]
    Bench(repasse_bench::Command),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    cmd::init_tracing();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::DemoData(args) => cmd::demo_data::run(args),
        Command::Ingest(command) => cmd::ingest::run(command),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Reconcile(args) => cmd::reconcile::run(args),
        Command::Retro(args) => cmd::programmes::retro(args),
        Command::Aae(args) => cmd::programmes::aae(args),
        Command::Aperf(args) => cmd::programmes::aperf(args),
        Command::Replay(args) => cmd::replay::run(args),
        Command::Project(args) => cmd::project::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Token(args) => cmd::serve::token(args),
        Command::Rebuild(args) => cmd::project::rebuild(args),
        Command::Diff(args) => cmd::audit::diff(args),
        Command::Export(args) => cmd::audit::export_cmd(args),
        Command::Verify(args) => cmd::audit::verify_cmd(args),
        Command::Restore(args) => cmd::audit::restore_cmd(args),
        Command::Case(command) => cmd::case::run(command),
        Command::Bench(command) => repasse_bench::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("erro: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
