//! Every rule against a positive and a negative case, and hostile input.

use super::*;
use crate::layer::walk::EntryKind;

fn analyzer() -> InsecureAnalyzer {
    InsecureAnalyzer::new(builtin_rules())
}

fn entry(path: &str, kind: EntryKind, mode: u32, size: usize) -> EntryMeta {
    EntryMeta {
        path: path.into(),
        kind,
        mode,
        size: size as u64,
        link: None,
    }
}

/// The detections the analyzer makes for one entry, as the walk would hand it over.
fn scan_file(path: &str, kind: EntryKind, mode: u32, content: &[u8]) -> Vec<Detection> {
    let a = analyzer();
    let e = entry(path, kind, mode, content.len());
    let Some(want) = a.wants(&e) else {
        return Vec::new();
    };
    let cap = match want {
        Want::Meta => 0,
        Want::Content(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let read = &content[..content.len().min(cap)];
    a.analyze(&e, read, read.len() < content.len())
        .expect("analysis")
        .into_iter()
        .filter_map(|a| match a {
            Artifact::Detection(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn ids(ds: &[Detection]) -> Vec<&str> {
    ds.iter().map(|d| d.rule_id.as_str()).collect()
}

const F: EntryKind = EntryKind::File;
const D: EntryKind = EntryKind::Dir;

/// (rule, path, kind, mode, content, fires)
const FILE_CASES: &[(&str, &str, EntryKind, u32, &str, bool)] = &[
    ("setuid-file", "usr/local/bin/tool", F, 0o4755, "", true),
    ("setuid-file", "usr/local/bin/tool", F, 0o2755, "", true),
    ("setuid-file", "usr/local/bin/tool", F, 0o0755, "", false),
    ("world-writable", "app/config.yml", F, 0o666, "a: 1", true),
    ("world-writable", "app/upload", D, 0o777, "", true),
    ("world-writable", "tmp", D, 0o1777, "", false),
    ("world-writable", "app/config.yml", F, 0o664, "a: 1", false),
    (
        "sshd-permit-root-login",
        "etc/ssh/sshd_config",
        F,
        0o644,
        "Port 22\nPermitRootLogin yes\n",
        true,
    ),
    (
        "sshd-permit-root-login",
        "etc/ssh/sshd_config.d/10-root.conf",
        F,
        0o644,
        "  permitrootlogin YES",
        true,
    ),
    (
        "sshd-permit-root-login",
        "etc/ssh/sshd_config",
        F,
        0o644,
        "#PermitRootLogin yes\nPermitRootLogin prohibit-password\n",
        false,
    ),
    (
        "sudo-nopasswd-all",
        "etc/sudoers.d/app",
        F,
        0o440,
        "app ALL=(ALL) NOPASSWD: ALL\n",
        true,
    ),
    (
        "sudo-nopasswd-all",
        "etc/sudoers",
        F,
        0o440,
        "%sudo ALL=(ALL:ALL) NOPASSWD:ALL\n",
        true,
    ),
    (
        "sudo-nopasswd-all",
        "etc/sudoers",
        F,
        0o440,
        "# app ALL=(ALL) NOPASSWD: ALL\napp ALL=(ALL) NOPASSWD: /usr/bin/apt\n",
        false,
    ),
    (
        "empty-password",
        "etc/shadow",
        F,
        0o640,
        "root:*:19000:0:99999:7:::\nguest::19000:0:99999:7:::\n",
        true,
    ),
    (
        "empty-password",
        "etc/passwd",
        F,
        0o644,
        "root::0:0:root:/root:/bin/sh\n",
        true,
    ),
    (
        "empty-password",
        "etc/shadow",
        F,
        0o640,
        "root:!:19000::::::\napp:$6$salt$hash:1::::::\n",
        false,
    ),
    (
        "extra-root-user",
        "etc/passwd",
        F,
        0o644,
        "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n",
        true,
    ),
    (
        "extra-root-user",
        "etc/passwd",
        F,
        0o644,
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n",
        false,
    ),
    (
        "private-key-readable",
        "root/.ssh/id_rsa",
        F,
        0o644,
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n",
        true,
    ),
    (
        "private-key-readable",
        "app/tls/server.key",
        F,
        0o640,
        "-----BEGIN PRIVATE KEY-----\nMIIE\n",
        true,
    ),
    (
        "private-key-readable",
        "root/.ssh/id_rsa",
        F,
        0o600,
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n",
        false,
    ),
    (
        "private-key-readable",
        "etc/ssl/certs/ca.pem",
        F,
        0o644,
        "-----BEGIN CERTIFICATE-----\nMIIB\n",
        false,
    ),
    ("ssh-server", "usr/sbin/sshd", F, 0o755, "", true),
    ("ssh-server", "usr/bin/ssh", F, 0o755, "", false),
    (
        "python-pickle-load",
        "app/cache.py",
        F,
        0o644,
        "import pickle\nobj = pickle.loads(blob)\n",
        true,
    ),
    (
        "python-pickle-load",
        "app/cache.py",
        F,
        0o644,
        "import pickle\ndata = pickle.dumps(obj)\n",
        false,
    ),
    (
        "python-yaml-load",
        "app/conf.py",
        F,
        0o644,
        "cfg = yaml.load(open(p))\n",
        true,
    ),
    (
        "python-yaml-load",
        "app/conf.py",
        F,
        0o644,
        "cfg = yaml.load(open(p), Loader=yaml.SafeLoader)\ncfg = yaml.safe_load(s)\n",
        false,
    ),
    (
        "python-eval-input",
        "app/calc.py",
        F,
        0o644,
        "print(eval(input('> ')))\n",
        true,
    ),
    (
        "python-eval-input",
        "app/calc.py",
        F,
        0o644,
        "x = ast.literal_eval(input())\nmodel.eval()\n",
        false,
    ),
    (
        "python-subprocess-shell",
        "app/run.py",
        F,
        0o644,
        "subprocess.run(cmd, shell=True)\n",
        true,
    ),
    (
        "python-subprocess-shell",
        "app/run.py",
        F,
        0o644,
        "subprocess.run(['ls', d], shell=False)\n",
        false,
    ),
    (
        "python-requests-verify-false",
        "app/api.py",
        F,
        0o644,
        "import requests\nr = requests.get(url, verify=False)\n",
        true,
    ),
    (
        "python-requests-verify-false",
        "app/api.py",
        F,
        0o644,
        "import requests\nr = requests.get(url, verify=True)\n",
        false,
    ),
    (
        "js-eval",
        "srv/index.js",
        F,
        0o644,
        "const v = eval(req.query.expr);\n",
        true,
    ),
    (
        "js-eval",
        "srv/index.js",
        F,
        0o644,
        "const v = eval('1+1'); const m = vm.eval(x);\n",
        false,
    ),
    (
        "js-child-process-exec",
        "srv/run.js",
        F,
        0o644,
        "const cp = require('child_process');\ncp.exec(`ls ${dir}`);\n",
        true,
    ),
    (
        "js-child-process-exec",
        "srv/run.js",
        F,
        0o644,
        "const { exec } = require('child_process');\nexec('ls ' + dir);\n",
        true,
    ),
    (
        "js-child-process-exec",
        "srv/run.js",
        F,
        0o644,
        "const cp = require('child_process');\ncp.execFile('ls', [dir]);\n/x/.exec(a + b);\n",
        false,
    ),
    (
        "js-tls-reject-unauthorized",
        "srv/client.js",
        F,
        0o644,
        "https.request({ host, rejectUnauthorized: false });\n",
        true,
    ),
    (
        "js-tls-reject-unauthorized",
        "srv/client.js",
        F,
        0o644,
        "https.request({ host, rejectUnauthorized: true });\n",
        false,
    ),
    (
        "node-tls-reject-unauthorized-0",
        "srv/boot.js",
        F,
        0o644,
        "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';\n",
        true,
    ),
    (
        "node-tls-reject-unauthorized-0",
        "srv/boot.js",
        F,
        0o644,
        "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '1';\n",
        false,
    ),
    (
        "curl-pipe-shell",
        "usr/local/bin/setup",
        F,
        0o755,
        "#!/bin/sh\ncurl -fsSL https://get.example.com | sudo bash\n",
        true,
    ),
    (
        "curl-pipe-shell",
        "opt/install.sh",
        F,
        0o644,
        "wget -qO- https://x.example/i.sh | sh -s --\n",
        true,
    ),
    (
        "curl-pipe-shell",
        "opt/install.sh",
        F,
        0o644,
        "curl -fsSLo i.sh https://x.example/i.sh\nsha256sum -c i.sum && sh i.sh\n",
        false,
    ),
    (
        "shell-chmod-777",
        "opt/install.sh",
        F,
        0o644,
        "chmod -R 777 /app\n",
        true,
    ),
    (
        "shell-chmod-777",
        "opt/install.sh",
        F,
        0o644,
        "chmod 755 /app\n",
        false,
    ),
    (
        "php-eval-input",
        "var/www/x.php",
        F,
        0o644,
        "<?php eval($_POST['c']); ?>",
        true,
    ),
    (
        "php-eval-input",
        "var/www/x.php",
        F,
        0o644,
        "<?php eval($code); ?>",
        false,
    ),
    (
        "php-command-input",
        "var/www/x.php",
        F,
        0o644,
        "<?php system('ping ' . $_GET['h']); ?>",
        true,
    ),
    (
        "php-command-input",
        "var/www/x.php",
        F,
        0o644,
        "<?php system('uptime'); ?>",
        false,
    ),
];

#[test]
fn every_file_rule_fires_on_its_positive_case_only() {
    for &(rule, path, kind, mode, content, fires) in FILE_CASES {
        let found = scan_file(path, kind, mode, content.as_bytes());
        assert_eq!(
            ids(&found).contains(&rule),
            fires,
            "{rule} on /{path} ({mode:o}): {content:?} gave {:?}",
            ids(&found)
        );
    }
}

fn config(json: &str) -> ImageConfiguration {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("config json");
    v["rootfs"] = serde_json::json!({"type": "layers", "diff_ids": []});
    serde_json::from_value(v).expect("image config")
}

fn detect_config(json: &str) -> Vec<Detection> {
    InsecureConfig::new(builtin_rules()).detect(&config(json))
}

/// (rule, config JSON, fires)
const CONFIG_CASES: &[(&str, &str, bool)] = &[
    (
        "root-user",
        r#"{"architecture":"amd64","os":"linux","config":{}}"#,
        true,
    ),
    (
        "root-user",
        r#"{"architecture":"amd64","os":"linux","config":{"User":"0:0"}}"#,
        true,
    ),
    (
        "root-user",
        r#"{"architecture":"amd64","os":"linux","config":{"User":"app"}}"#,
        false,
    ),
    (
        "root-user",
        r#"{"architecture":"amd64","os":"linux","config":{"User":"1000:1000"}}"#,
        false,
    ),
    (
        "env-secret",
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["DB_PASSWORD=hunter2-Zq9"]}}"#,
        true,
    ),
    (
        "env-secret",
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["GITHUB_TOKEN=ghp_abcdefghijklmnop"]}}"#,
        true,
    ),
    (
        "env-secret",
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["DB_PASSWORD=","DB_PASSWORD_FILE=/run/secrets/db","API_KEY=${API_KEY}","SECRET=<set me>","TOKEN=xxxxxxxx","PATH=/usr/bin"]}}"#,
        false,
    ),
    (
        "add-from-url",
        r#"{"architecture":"amd64","os":"linux","history":[{"created_by":"ADD https://example.com/app.tgz /opt/ # buildkit"}]}"#,
        true,
    ),
    (
        "add-from-url",
        r#"{"architecture":"amd64","os":"linux","history":[{"created_by":"/bin/sh -c #(nop) ADD file:0a1b in / "}]}"#,
        false,
    ),
    (
        "curl-pipe-shell",
        r#"{"architecture":"amd64","os":"linux","history":[{"created_by":"RUN /bin/sh -c curl -sL https://deb.example/setup | bash - # buildkit"}]}"#,
        true,
    ),
    (
        "curl-pipe-shell",
        r#"{"architecture":"amd64","os":"linux","history":[{"created_by":"RUN /bin/sh -c curl -sLo /tmp/x https://e.example/x # buildkit"}]}"#,
        false,
    ),
    (
        "shell-chmod-777",
        r#"{"architecture":"amd64","os":"linux","history":[{"created_by":"RUN /bin/sh -c chmod 777 /data"}]}"#,
        true,
    ),
    (
        "shell-chmod-777",
        r#"{"architecture":"amd64","os":"linux","history":[{"created_by":"RUN /bin/sh -c chmod 0750 /data"}]}"#,
        false,
    ),
    (
        "ssh-server",
        r#"{"architecture":"amd64","os":"linux","config":{"ExposedPorts":{"22/tcp":{}}}}"#,
        true,
    ),
    (
        "ssh-server",
        r#"{"architecture":"amd64","os":"linux","config":{"ExposedPorts":{"2222/tcp":{},"8022/tcp":{}}}}"#,
        false,
    ),
    (
        "node-tls-reject-unauthorized-0",
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["NODE_TLS_REJECT_UNAUTHORIZED=0"]}}"#,
        true,
    ),
    (
        "node-tls-reject-unauthorized-0",
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["NODE_TLS_REJECT_UNAUTHORIZED=1"]}}"#,
        false,
    ),
];

#[test]
fn every_config_rule_fires_on_its_positive_case_only() {
    for &(rule, json, fires) in CONFIG_CASES {
        let found = detect_config(json);
        assert_eq!(
            ids(&found).contains(&rule),
            fires,
            "{rule}: {json} gave {:?}",
            ids(&found)
        );
    }
}

#[test]
fn every_builtin_rule_has_a_positive_and_a_negative_case() {
    for rule in builtin_rules().iter() {
        let cases: Vec<bool> = FILE_CASES
            .iter()
            .filter(|c| c.0 == rule.id)
            .map(|c| c.5)
            .chain(CONFIG_CASES.iter().filter(|c| c.0 == rule.id).map(|c| c.2))
            .collect();
        assert!(
            cases.contains(&true) && cases.contains(&false),
            "{} lacks a positive or a negative case",
            rule.id
        );
    }
}

#[test]
fn findings_carry_cwe_line_description_and_redacted_secrets() {
    let found = scan_file("app/a.py", F, 0o644, b"import yaml\n\nx = yaml.load(s)\n");
    let d = found
        .iter()
        .find(|d| d.rule_id == "python-yaml-load")
        .expect("yaml");
    assert_eq!(d.category, crate::report::Category::InsecureCode);
    assert_eq!(d.line, Some(3));
    assert_eq!(d.aliases, vec!["CWE-502".to_string()]);
    assert!(
        d.description
            .as_deref()
            .is_some_and(|t| t.contains("Remediation: "))
    );
    assert_eq!(d.evidence.as_deref(), Some("yaml.load("));

    let found = detect_config(
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["DB_PASSWORD=hunter2-Zq9-long"]}}"#,
    );
    let d = found
        .iter()
        .find(|d| d.rule_id == "env-secret")
        .expect("env-secret");
    let evidence = d.evidence.as_deref().unwrap_or("");
    assert!(evidence.starts_with("DB_PASSWORD=hunt"), "{evidence}");
    assert!(!evidence.contains("hunter2"), "{evidence}");
}

#[test]
fn tests_are_skipped_and_library_code_is_rated_low() {
    let code = b"import yaml\ncfg = yaml.load(s)\n";
    assert!(scan_file("app/tests/test_conf.py", F, 0o644, code).is_empty());
    let lib = scan_file("usr/lib/python3/dist-packages/x/conf.py", F, 0o644, code);
    assert_eq!(lib.len(), 1);
    assert_eq!(lib[0].severity, Severity::Low);
    let own = scan_file("app/conf.py", F, 0o644, code);
    assert_eq!(own[0].severity, Severity::High);
}

#[test]
fn scripts_are_recognised_by_shebang_and_binaries_are_not_read_as_text() {
    let script = b"#!/usr/bin/env python3\nimport subprocess\nsubprocess.call(c, shell=True)\n";
    assert_eq!(
        ids(&scan_file("usr/local/bin/job", F, 0o755, script)),
        ["python-subprocess-shell"]
    );
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend_from_slice(b"subprocess.call(c, shell=True) curl x | sh");
    assert!(scan_file("usr/local/bin/job", F, 0o755, &elf).is_empty());
    assert!(scan_file("usr/local/bin/job.txt", F, 0o644, script).is_empty());
}

#[test]
fn hostile_input_neither_panics_nor_stalls() {
    // Pseudo-random bytes, with and without NULs, for every file kind the analyzer reads.
    let mut x: u32 = 0x9e37_79b9;
    let garbage: Vec<u8> = (0..256 << 10)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    let no_nul: Vec<u8> = garbage.iter().map(|&b| b.max(1)).collect();
    let colons: Vec<u8> = b":::\n::\n:\nroot\n\n#\x00:0:0\nx:y:0\n".repeat(1000);
    for content in [&garbage, &no_nul, &colons] {
        for path in [
            "etc/passwd",
            "etc/shadow",
            "etc/sudoers",
            "etc/ssh/sshd_config",
            "app/a.py",
            "app/a.js",
            "app/a.php",
            "app/a.sh",
            "root/.ssh/id_rsa",
            "var/lib/dpkg/info/x.list",
        ] {
            scan_file(path, F, 0o666, content);
        }
    }
    // One huge line full of near-matches: bounded work per rule, and the match at the end found.
    let mut line = b"yaml.load(x, Loader=SafeLoader); ".repeat(64 << 10);
    line.extend_from_slice(b"curl x | sh");
    let found = scan_file("app/a.py", F, 0o644, &line);
    assert!(ids(&found).is_empty(), "{:?}", ids(&found));
    let mut line = vec![b'a'; 900 << 10];
    line.extend_from_slice(b" chmod 777 /x");
    let found = scan_file("app/a.sh", F, 0o644, &line);
    assert_eq!(ids(&found), ["shell-chmod-777"]);
    assert_eq!(found[0].line, Some(1));
    // Malformed accounts: short lines and odd fields yield what they can, never a panic.
    let found = scan_file(
        "etc/shadow",
        F,
        0o640,
        b"nocolon\n:\n::\nbob:\n\xff\xfe::\n",
    );
    assert_eq!(found.len(), 2, "{found:?}");
}
