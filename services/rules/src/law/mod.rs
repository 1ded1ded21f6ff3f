//! The law, apart from the engine: one module per rule family of RULES.md, each rule a pure function
//! over the inputs it names, its doc line citing its id. Nothing here caches, indexes or reads a clock.

pub mod teto;
