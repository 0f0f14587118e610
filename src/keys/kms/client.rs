//! The AWS SDK side of KMS keys: one runtime, cached clients, bounded calls, readable errors.
//!
//! The SDK is async and the engine is not, so calls are driven by a single current-thread
//! tokio runtime. It is created on the first KMS call and never before: a run that only uses
//! age or PGP must not pay for it, nor read `~/.aws` or `AWS_*` (a broken AWS setup must not
//! break files that do not use KMS). Loading a configuration (profile files, SSO, STS
//! AssumeRole) is slow, so one client is kept per (region, profile, role) for the whole
//! process; a file with many KMS keys in one region builds one.
//!
//! Every call is bounded (connect, attempt and operation timeouts, two attempts): a dead or
//! unreachable endpoint must turn into an error within seconds, because shroud runs in CI and
//! git hooks where a hang is worse than a failure.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_kms::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents, SharedCredentialsProvider};
use aws_sdk_kms::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use tokio::runtime::Runtime;
use zeroize::Zeroizing;

/// Time to open a TCP (and TLS) connection to an endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time for one attempt, from sending the request to the end of the response.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole operation, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// One retry at most: enough for a dropped connection, short enough to fail fast.
const MAX_ATTEMPTS: u32 = 2;

/// What selects a client: the region comes from the key's ARN, the rest from its entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub region: String,
    pub profile: Option<String>,
    pub role: Option<String>,
}

fn runtime() -> Result<&'static Runtime, String> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime for AWS: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

static CLIENTS: OnceLock<Mutex<HashMap<Target, Client>>> = OnceLock::new();

/// The cached client for `target`, creating it (and the runtime) on first use.
fn client(target: &Target) -> Result<Client, String> {
    let rt = runtime()?;
    let clients = CLIENTS.get_or_init(Default::default);
    let mut clients = clients.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = clients.get(target) {
        return Ok(c.clone());
    }
    let c = rt.block_on(build_client(target));
    clients.insert(target.clone(), c.clone());
    Ok(c)
}

async fn build_client(target: &Target) -> Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(p) = &target.profile {
        loader = loader.profile_name(p);
    }
    let mut sdk = loader.load().await;
    if let Some(role) = &target.role {
        let provider = AssumeRoleProvider::builder(role)
            .session_name(session_name(&hostname()))
            .configure(&sdk)
            .build()
            .await;
        sdk = sdk
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }
    Client::new(&sdk)
}

/// The host name as Go's `os.Hostname` reads it on Linux.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// SOPS's STS session name: `sops@` + the host name without characters outside its RE2 class
/// `[a-zA-Z0-9=,.@-_]` (where `@-_` is a range, so `-` itself is dropped), cut to 64 bytes.
pub fn session_name(host: &str) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || "=,.".contains(c) || ('@'..='_').contains(&c);
    let mut name: String = format!(
        "sops@{}",
        host.chars().filter(|c| keep(*c)).collect::<String>()
    );
    name.truncate(64);
    name
}

/// Remembers the URL a request was sent to, so an unreachable endpoint can be named.
#[derive(Debug, Default, Clone)]
struct RecordEndpoint(Arc<Mutex<Option<String>>>);

impl RecordEndpoint {
    fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Intercept for RecordEndpoint {
    fn name(&self) -> &'static str {
        "RecordEndpoint"
    }
    fn read_before_signing(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        // Scheme, host and port; the path says nothing useful.
        let end = uri
            .find("://")
            .map(|i| i + 3)
            .and_then(|s| uri[s..].find('/').map(|j| s + j))
            .unwrap_or(uri.len());
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(uri[..end].to_string());
        Ok(())
    }
}

fn context_map(context: &[(String, String)]) -> Option<HashMap<String, String>> {
    (!context.is_empty()).then(|| context.iter().cloned().collect())
}

/// KMS `Encrypt` of `plaintext` under `key_id`; returns the CiphertextBlob.
pub fn encrypt(
    target: &Target,
    key_id: &str,
    plaintext: &[u8],
    context: &[(String, String)],
) -> Result<Vec<u8>, String> {
    let client = client(target)?;
    let rec = RecordEndpoint::default();
    let call = client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(plaintext))
        .set_encryption_context(context_map(context))
        .customize()
        .interceptor(rec.clone())
        .send();
    let out = runtime()?
        .block_on(call)
        .map_err(|e| describe(e, rec.get(), target))?;
    out.ciphertext_blob
        .map(Blob::into_inner)
        .ok_or_else(|| "KMS returned no ciphertext".to_string())
}

/// KMS `Decrypt` of `blob` with `key_id` named explicitly (as SOPS does, so a ciphertext of
/// another key is refused rather than silently accepted).
pub fn decrypt(
    target: &Target,
    key_id: &str,
    blob: &[u8],
    context: &[(String, String)],
) -> Result<Zeroizing<Vec<u8>>, String> {
    let client = client(target)?;
    let rec = RecordEndpoint::default();
    let call = client
        .decrypt()
        .key_id(key_id)
        .ciphertext_blob(Blob::new(blob))
        .set_encryption_context(context_map(context))
        .customize()
        .interceptor(rec.clone())
        .send();
    let out = runtime()?
        .block_on(call)
        .map_err(|e| describe(e, rec.get(), target))?;
    out.plaintext
        .map(|b| Zeroizing::new(b.into_inner()))
        .ok_or_else(|| "KMS returned no plaintext".to_string())
}

/// One line saying why a call failed: the service's error code and message, or what went
/// wrong on the way (endpoint unreachable, timeout, no credentials).
fn describe<E, R>(err: SdkError<E, R>, endpoint: Option<String>, target: &Target) -> String
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let ep = endpoint.unwrap_or_else(|| "(endpoint not resolved)".into());
    match &err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let code = e.code().unwrap_or("UnknownError");
            match e.message() {
                Some(m) if !m.is_empty() => format!("{code}: {m}"),
                _ => code.to_string(),
            }
        }
        SdkError::TimeoutError(_) => format!(
            "no answer from the KMS endpoint {ep} within {} s",
            OPERATION_TIMEOUT.as_secs()
        ),
        SdkError::DispatchFailure(d) if d.is_timeout() => format!(
            "timed out connecting to the KMS endpoint {ep} (limit {} s)",
            CONNECT_TIMEOUT.as_secs()
        ),
        SdkError::DispatchFailure(d) if d.is_io() => {
            // The innermost causes say what happened ("Connection refused"); the outer ones
            // only name the SDK's layers.
            let parts = causes(&err);
            let tail = parts[parts.len().saturating_sub(2)..].join(": ");
            format!("cannot reach the KMS endpoint {ep}: {tail}")
        }
        _ => {
            let msg = causes(&err).join(": ");
            match msg.find("no credentials found in chain") {
                Some(at) => {
                    let source = match &target.profile {
                        Some(p) => format!("profile {p:?}"),
                        None => "default credential chain".into(),
                    };
                    format!("no usable AWS credentials ({source}): {}", &msg[at..])
                }
                None => msg,
            }
        }
    }
}

/// An error and its sources, each distinct message once, on one line each.
fn causes(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts
}
