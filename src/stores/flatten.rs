//! Stub: metadata flattening for INI and dotenv (spec §7.5).
