//! A counting TCP proxy in front of the local KMS, private to one test: moto's log does not
//! name the operation (every KMS call is `POST /`), and a shared server's counters mix tests.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// Forwards `127.0.0.1:<port>` to the server and keeps every request byte it saw.
pub struct CountingProxy {
    pub endpoint: String,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl CountingProxy {
    /// Starts forwarding to `upstream` (`http://host:port`). The listener thread lives until
    /// the test process ends; each connection's threads end when either side closes.
    pub fn start(upstream: &str) -> CountingProxy {
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let log = log.clone();
                thread::spawn(move || pump(client, server, Some(log)));
                thread::spawn(move || pump(s2, c2, None));
            }
        });
        CountingProxy { endpoint, seen }
    }

    /// How many requests named the KMS operation `op` (`Encrypt`, `Decrypt`) so far.
    pub fn count(&self, op: &str) -> usize {
        let text = String::from_utf8_lossy(&self.seen.lock().unwrap()).to_ascii_lowercase();
        let needle = format!("x-amz-target: trentservice.{}\r\n", op.to_ascii_lowercase());
        text.matches(&needle).count()
    }

    /// How many STS `AssumeRole` requests were seen (STS speaks the query protocol: the
    /// action is a form field of the body).
    pub fn assume_role_count(&self) -> usize {
        let text = String::from_utf8_lossy(&self.seen.lock().unwrap()).to_ascii_lowercase();
        text.matches("action=assumerole&").count()
    }

    /// Forgets what was seen (between the steps of one test).
    pub fn reset(&self) {
        self.seen.lock().unwrap().clear();
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, log: Option<Arc<Mutex<Vec<u8>>>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(log) = &log {
            log.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
