//! `KmsKey` against the local KMS without the binary: the SDK wiring (credentials, endpoints,
//! profiles, STS, timeouts, error text) is checked here even where no store is involved.
//!
//! The SDK reads the process environment, and the client cache lives for the whole process,
//! so these tests select their endpoints through named profiles in one private config file
//! (`moto`, `dead`, `nocreds`) rather than per-test variables.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use shroud::core::MasterKey;
use shroud::keys::kms::KmsKey;

use super::{server, unused_port, Kms};

/// The local KMS with this process's AWS environment pointed at it through profiles.
fn setup() -> Option<&'static Kms> {
    static ENV: OnceLock<Option<Kms>> = OnceLock::new();
    ENV.get_or_init(|| {
        let kms = server()?;
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("kms-lib-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config");
        let creds = "aws_access_key_id = test\naws_secret_access_key = test\n";
        std::fs::write(
            &config,
            format!(
                "[profile moto]\nendpoint_url = {ep}\n{creds}\n\
                 [profile dead]\nendpoint_url = http://127.0.0.1:{dead}\n{creds}\n\
                 [profile nocreds]\nendpoint_url = {ep}\n\
                 [profile hung]\nendpoint_url = http://{hung}\n{creds}\n",
                ep = kms.endpoint,
                dead = unused_port(),
                hung = hung_server(),
            ),
        )
        .unwrap();
        let empty = dir.join("credentials");
        std::fs::write(&empty, "").unwrap();
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_KMS",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        ] {
            std::env::remove_var(var);
        }
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &empty);
        // Never ask the instance metadata service (a non-loopback address) for credentials.
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        Some(kms)
    })
    .as_ref()
}

/// A loopback server that accepts connections and never answers, for the process lifetime.
fn hung_server() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    addr
}

const DATA_KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

fn ctx(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn key(arn: &str, context: &[(&str, &str)], profile: &str) -> KmsKey {
    KmsKey::new(arn, None, &ctx(context), Some(profile))
}

#[test]
fn wraps_and_unwraps_through_local_kms() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.key, &[], "moto");
    k.wrap(&DATA_KEY).unwrap();
    let enc = k.enc.clone().unwrap();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(&enc)
        .expect("enc is standard base64");
    assert!(blob.len() > 32, "a KMS ciphertext blob, not the key");
    assert!(
        !enc.contains("MDEyMzQ1"),
        "the data key must not appear in enc"
    );
    // What is read back from the metadata opens the same way.
    let back = KmsKey::from_entry(&k.to_entry()).unwrap();
    assert_eq!(back.unwrap().unwrap().as_slice(), &DATA_KEY);
    // A second wrap of the same key gives a different blob (KMS adds randomness).
    let mut again = key(&kms.key, &[], "moto");
    again.wrap(&DATA_KEY).unwrap();
    assert_ne!(again.enc, k.enc);
}

#[test]
fn encryption_context_must_match() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.key, &[("app", "shroud"), ("env", "test")], "moto");
    k.wrap(&DATA_KEY).unwrap();
    assert_eq!(k.unwrap().unwrap().as_slice(), &DATA_KEY);

    let mut wrong = k.clone();
    wrong.context = ctx(&[("app", "shroud"), ("env", "prod")]);
    let err = wrong.unwrap().unwrap_err();
    assert_eq!(
        (err.kind.as_str(), err.id.as_str()),
        ("kms", kms.key.as_str())
    );
    assert!(err.reason.contains("InvalidCiphertextException"), "{err}");

    let mut none = k.clone();
    none.context.clear();
    assert!(none.unwrap().is_err());
}

#[test]
fn alias_arn_wraps_and_unwraps() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.alias, &[("a", "b")], "moto");
    k.wrap(&DATA_KEY).unwrap();
    assert_eq!(k.unwrap().unwrap().as_slice(), &DATA_KEY);
}

#[test]
fn ciphertext_of_another_key_is_refused() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.key, &[], "moto");
    k.wrap(&DATA_KEY).unwrap();
    let mut other = k.clone();
    other.arn = kms.key2.clone();
    let err = other.unwrap().unwrap_err();
    assert_eq!(err.id, kms.key2);
    assert!(err.reason.contains("AccessDeniedException"), "{err}");
}

#[test]
fn disabled_key_fails_both_ways_with_the_server_reason() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.disabled, &[], "moto");
    let err = k.wrap(&DATA_KEY).unwrap_err();
    assert_eq!(err.id, kms.disabled);
    assert!(err.reason.contains("DisabledException"), "{err}");
    assert!(err.reason.contains("Encrypt"), "{err}");
    assert!(k.enc.is_none());

    k.enc = Some(kms.disabled_enc.clone());
    let err = k.unwrap().unwrap_err();
    assert!(err.reason.contains("DisabledException"), "{err}");
    assert!(err.reason.contains("Decrypt"), "{err}");
}

#[test]
fn role_is_assumed_through_sts() {
    let Some(kms) = setup() else { return };
    let mut k = KmsKey::new(
        &kms.key,
        Some("arn:aws:iam::123456789012:role/shroud-test"),
        &[],
        Some("moto"),
    );
    k.wrap(&DATA_KEY).unwrap();
    assert_eq!(k.unwrap().unwrap().as_slice(), &DATA_KEY);
    assert_eq!(
        k.to_entry().get("role").and_then(|v| v.as_str()),
        Some("arn:aws:iam::123456789012:role/shroud-test")
    );
}

#[test]
fn dead_endpoint_fails_within_seconds_naming_it() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.key, &[], "dead");
    let t = Instant::now();
    let err = k.wrap(&DATA_KEY).unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(err.id, kms.key);
    assert!(
        err.reason
            .contains("cannot reach the KMS endpoint http://127.0.0.1:"),
        "{err}"
    );

    k.enc = Some(kms.disabled_enc.clone());
    let t = Instant::now();
    let err = k.unwrap().unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    assert!(err.reason.contains("cannot reach"), "{err}");
}

#[test]
fn missing_credentials_is_a_clear_error() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.key, &[], "nocreds");
    let t = Instant::now();
    let err = k.wrap(&DATA_KEY).unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(err.id, kms.key);
    assert!(err.reason.contains("credentials"), "{err}");
    assert!(err.reason.contains("nocreds"), "{err}");
}

#[test]
fn unknown_profile_is_a_clear_error() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.key, &[], "no-such-profile");
    let err = k.wrap(&DATA_KEY).unwrap_err();
    assert!(err.reason.contains("no-such-profile"), "{err}");
}

#[test]
fn silent_endpoint_times_out() {
    let Some(kms) = setup() else { return };
    let mut k = key(&kms.key, &[], "hung");
    let t = Instant::now();
    let err = k.wrap(&DATA_KEY).unwrap_err();
    eprintln!("{:?}: {err}", t.elapsed());
    assert!(
        t.elapsed() < Duration::from_secs(12),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        err.reason
            .contains("no answer from the KMS endpoint http://127.0.0.1:"),
        "{err}"
    );
}
