//! The `assure-webhook` binary as an operator runs it: exit codes, messages, signals.

use rcgen::{CertificateParams, KeyPair};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn webhook() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assure-webhook"));
    for var in [
        "ASSURE_WEBHOOK_TLS_CERT",
        "ASSURE_WEBHOOK_TLS_KEY",
        "ASSURE_WEBHOOK_LISTEN",
        "ASSURE_WEBHOOK_LOG_FORMAT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("ASSURE_LOG", "info");
    cmd
}

/// Writes a self-signed `localhost` pair and returns (cert path, key path).
fn write_pair(dir: &Path) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_path = dir.join("tls.crt");
    let key_path = dir.join("tls.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    )
}

#[test]
fn missing_cert_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = write_pair(dir.path());
    let missing = dir.path().join("absent.crt").display().to_string();

    let out = webhook()
        .args(["--tls-cert", &missing, "--tls-key", &key])
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&missing), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
}

#[test]
fn unreadable_key_from_env_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = write_pair(dir.path());
    // A directory cannot be read as a file, even by root.
    let key = dir.path().display().to_string();

    let out = webhook()
        .env("ASSURE_WEBHOOK_TLS_CERT", &cert)
        .env("ASSURE_WEBHOOK_TLS_KEY", &key)
        .env("ASSURE_WEBHOOK_LISTEN", "127.0.0.1:0")
        .arg("--log-format=json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = stderr.lines().last().unwrap();
    let json: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(json["level"], "ERROR", "{line}");
    let message = json["fields"]["message"].as_str().unwrap();
    assert!(message.contains("private key file"), "{message}");
    assert!(message.contains(&key), "{message}");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_pair(dir.path());
    let mut child = webhook()
        .args(["--tls-cert", &cert, "--tls-key", &key])
        .args(["--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains("serving HTTPS") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    if rx.recv_timeout(Duration::from_secs(30)).is_err() {
        let _ = child.kill();
        panic!("never started serving: {}", reader.join().unwrap());
    }

    let pid = child.id().to_string();
    let killed = Command::new("sh")
        .args(["-c", "kill -TERM \"$0\"", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let log = reader.join().unwrap();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("SIGTERM"), "{log}");
}
