//! Encrypt/decrypt throughput on generated nested YAML (12,000 and 100,000 values), in
//! process (load → walk → emit) and through the release binary with a real age key.
//! Run: `cargo bench --bench engine`. Prints the median of several runs; not a test.

use std::process::Command;
use std::time::{Duration, Instant};

use shroud::core::codec::Cipher;
use shroud::core::keys::OpaqueKey;
use shroud::core::metadata::SOPS_VERSION;
use shroud::core::{ops, DataKey, Map, Metadata, Selection, Timestamp};
use shroud::stores::{store_for, StoreOptions};

/// A nested YAML document with `values` leaves of mixed types.
fn generate(values: usize) -> String {
    let mut s = String::with_capacity(values * 40);
    s.push_str("# generated benchmark input\n");
    let services = values.div_ceil(40);
    for i in 0..services {
        s.push_str(&format!("service_{i}:\n"));
        for j in 0..10 {
            s.push_str(&format!("    name_{j}: value number {i}-{j}\n"));
            s.push_str(&format!("    port_{j}: {}\n", 1000 + j));
        }
        s.push_str("    # nested config\n    config:\n");
        for j in 0..10 {
            s.push_str(&format!("        key_{j}: \"secret-{i}-{j}\"\n"));
        }
        s.push_str("    hosts:\n");
        for j in 0..10 {
            s.push_str(&format!("        - host-{j}.example.com\n"));
        }
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f());
        times.push(t.elapsed());
    }
    median(times)
}

fn metadata() -> Metadata {
    let mut entry = Map::new();
    entry.push("recipient", "bench");
    Metadata {
        key_groups: vec![vec![Box::new(OpaqueKey { kind: "age", entry })]],
        shamir_threshold: 0,
        lastmodified: Timestamp::now_utc(),
        mac: String::new(),
        selection: Some(Selection::default()),
        mac_only_encrypted: false,
        version: SOPS_VERSION.into(),
    }
}

fn in_process(values: usize, runs: usize) -> (Duration, Duration) {
    let input = generate(values);
    let store = store_for(shroud::core::Format::Yaml, StoreOptions::default());
    let key = DataKey::generate();
    let encrypt = || {
        let mut docs = store.load(input.as_bytes()).unwrap().docs;
        let mut meta = metadata();
        let mut cipher = Cipher::new(&key);
        ops::seal(&mut docs, &mut meta, &mut cipher).unwrap();
        store.emit(&docs, Some(&meta.to_map())).unwrap()
    };
    let encrypted = encrypt();
    let enc_time = time(runs, encrypt);
    let dec_time = time(runs, || {
        let loaded = store.load(&encrypted).unwrap();
        let meta =
            Metadata::from_value(&loaded.metadata.unwrap(), &shroud::keys::Registry).unwrap();
        let mut docs = loaded.docs;
        ops::open_with_key(&mut docs, &meta, key.clone(), false).unwrap();
        store.emit(&docs, None).unwrap()
    });
    (enc_time, dec_time)
}

/// Where the time goes on decrypt: parse, walk, print.
fn breakdown(values: usize, runs: usize) {
    let input = generate(values);
    let store = store_for(shroud::core::Format::Yaml, StoreOptions::default());
    let key = DataKey::generate();
    let mut docs = store.load(input.as_bytes()).unwrap().docs;
    let mut meta = metadata();
    ops::seal(&mut docs, &mut meta, &mut Cipher::new(&key)).unwrap();
    let encrypted = store.emit(&docs, Some(&meta.to_map())).unwrap();
    let load = time(runs, || store.load(&encrypted).unwrap());
    let loaded = store.load(&encrypted).unwrap();
    let meta = Metadata::from_value(&loaded.metadata.unwrap(), &shroud::keys::Registry).unwrap();
    let walk = time(runs, || {
        let mut d = loaded.docs.clone();
        ops::open_with_key(&mut d, &meta, key.clone(), false).unwrap();
        d
    });
    let clone = time(runs, || loaded.docs.clone());
    let mut plain = loaded.docs.clone();
    ops::open_with_key(&mut plain, &meta, key.clone(), false).unwrap();
    let emit = time(runs, || store.emit(&plain, None).unwrap());
    println!(
        "  decrypt breakdown, {values} values: parse {:.1}ms, decrypt+MAC {:.1}ms, print {:.1}ms",
        load.as_secs_f64() * 1e3,
        (walk.saturating_sub(clone)).as_secs_f64() * 1e3,
        emit.as_secs_f64() * 1e3
    );
}

fn binary(values: usize, runs: usize) -> (Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("bench.yaml");
    std::fs::write(&plain, generate(values)).unwrap();
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/demo/demo-age-key.txt"
    );
    let recipient = "age1sdgywmw5ckl4rqj0pzvz2vc8l8qameyu54xrfvjqagfcpgw4qyasu86ejf";
    let bin = env!("CARGO_BIN_EXE_shroud");
    let enc_path = dir.path().join("bench.enc.yaml");
    let run_enc = || {
        let out = Command::new(bin)
            .args(["encrypt", "--age", recipient])
            .arg(&plain)
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::write(&enc_path, &out.stdout).unwrap();
    };
    let enc = time(runs, run_enc);
    let dec = time(runs, || {
        let out = Command::new(bin)
            .env("SOPS_AGE_KEY_FILE", key)
            .arg("decrypt")
            .arg(&enc_path)
            .output()
            .unwrap();
        assert!(out.status.success());
    });
    (enc, dec)
}

fn main() {
    println!("{:<34} {:>12} {:>12}", "case", "encrypt", "decrypt");
    let mut rows = Vec::new();
    for (values, runs) in [(12_000, 15), (100_000, 5)] {
        let (e, d) = in_process(values, runs);
        println!(
            "{:<34} {:>10.1}ms {:>10.1}ms",
            format!("in-process, {values} values"),
            e.as_secs_f64() * 1e3,
            d.as_secs_f64() * 1e3
        );
        let (be, bd) = binary(values, runs);
        println!(
            "{:<34} {:>10.1}ms {:>10.1}ms",
            format!("binary + age key, {values} values"),
            be.as_secs_f64() * 1e3,
            bd.as_secs_f64() * 1e3
        );
        breakdown(values, runs);
        rows.push((values, e, d, be, bd));
    }
    let (small, large) = (&rows[0], &rows[1]);
    println!(
        "scaling 100k/12k (values x{:.1}): encrypt x{:.1}, decrypt x{:.1}",
        large.0 as f64 / small.0 as f64,
        large.1.as_secs_f64() / small.1.as_secs_f64(),
        large.2.as_secs_f64() / small.2.as_secs_f64()
    );
}
