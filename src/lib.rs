//! shroud: a git-native encrypted config file tool, byte-compatible with SOPS.
//!
//! Layers, from the inside out: [`core`] (tree, codec, walker, metadata; no I/O),
//! [`stores`] (file formats behind [`core::Store`]), [`keys`] (key backends behind
//! [`core::MasterKey`]) and [`cli`] (flags, config, environment, terminal).
#![forbid(unsafe_code)]

pub mod cli;
pub mod core;
pub mod keys;
pub mod stores;
