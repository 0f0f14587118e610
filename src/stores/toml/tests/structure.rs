//! Emitting trees whose structure changed since load.
