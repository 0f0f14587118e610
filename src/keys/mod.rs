//! Key backends. Each wraps and unwraps the data key; none of them sees the tree.

pub mod age;
