//! `assure db update` against local mirrors: one refusing connections, one failing, one cutting
//! the body short, one serving real advisories. The update falls back in order, imports what
//! arrived atomically, and a total failure leaves the database as it was.

use assure_tests::data::test_data;
use assure_tests::system::{assure, db_status};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// A minimal HTTP/1.1 server: enough to serve fixed bodies, errors and short bodies (no HTTP
/// server crate is a dependency of the tests, and these few responses need no more).
fn serve(routes: Vec<(&'static str, Response)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let response = routes
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, r)| r.clone())
                .unwrap_or(Response::Status(404));
            let _ = match response {
                Response::Status(code) => write!(
                    stream,
                    "HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
                Response::Body(body) => write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .and_then(|_| stream.write_all(&body)),
                Response::Short(body) => write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len() * 2
                )
                .and_then(|_| stream.write_all(&body)),
            };
        }
    });
    format!("http://{addr}")
}

#[derive(Clone)]
enum Response {
    Status(u16),
    Body(Vec<u8>),
    Short(Vec<u8>),
}

/// OSV's `all.zip` shape: the Go samples of the shared data, zipped.
fn go_zip(shared: &std::path::Path) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut names: Vec<_> = std::fs::read_dir(shared.join("osv-go/samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    for p in &names {
        zip.start_file(
            p.file_name().unwrap().to_string_lossy(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&std::fs::read(p).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn update_falls_back_through_mirrors_and_a_failed_update_changes_nothing() {
    let Some(shared) = test_data() else { return };
    let zip = go_zip(&shared);
    let kev = zstd::decode_all(
        std::fs::File::open(shared.join("cisa-kev/known_exploited_vulnerabilities.json.zst"))
            .unwrap(),
    )
    .unwrap();
    let base = serve(vec![
        ("/failing/Go/all.zip", Response::Status(503)),
        ("/short/Go/all.zip", Response::Short(zip.clone())),
        ("/good/Go/all.zip", Response::Body(zip)),
        (
            "/kev/known_exploited_vulnerabilities.json",
            Response::Body(kev),
        ),
    ]);
    // Nothing listens on port 9 of localhost: connection refused.
    let refused = "http://127.0.0.1:9";
    let data = tempfile::tempdir().unwrap();
    let run = |mirrors: &[String], feeds: &[String]| {
        let mut args = vec!["db", "update", "--ecosystem", "Go", "--attempts", "1"];
        args.extend(["--timeout", "20s"]);
        for m in mirrors {
            args.extend(["--mirror", m.as_str()]);
        }
        for f in feeds {
            args.extend(["--feed", f.as_str()]);
        }
        assure(data.path(), &args)
    };
    let good = [
        refused.to_string(),
        format!("{base}/failing"),
        format!("{base}/short"),
        format!("{base}/good"),
    ];
    let out = run(
        &good,
        &[format!("{base}/kev/known_exploited_vulnerabilities.json")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("downloaded {base}/good/Go/all.zip")),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1404 known-exploited CVEs"), "{stdout}");
    let before = db_status(data.path());
    assert!(before["advisories"].as_u64().unwrap() >= 5, "{before}");
    assert!(
        before["sources"]
            .as_array()
            .unwrap()
            .contains(&format!("{base}/good/Go/all.zip").into()),
        "{before}"
    );
    assert_eq!(before["stale"], false);

    // Every mirror fails: exit 2, each attempt named, the database as it was.
    let out = run(&[refused.to_string(), format!("{base}/failing")], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("127.0.0.1:9/Go/all.zip (attempt 1)")
            && stderr.contains("/failing/Go/all.zip (attempt 1)")
            && stderr.contains("503")
            && stderr.contains("the database is unchanged"),
        "{stderr}"
    );
    assert_eq!(db_status(data.path()), before);

    // Past the maximum age, status warns.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = assure(data.path(), &["db", "status", "--max-age", "1s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: the vulnerability database is"),
        "{stderr}"
    );
    assert!(stderr.contains("run `assure db update`"), "{stderr}");
}
