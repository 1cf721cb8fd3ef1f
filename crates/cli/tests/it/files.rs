//! The `graphlink` binary against the real emulator over HTTPS: connection test, file commands,
//! JSON output, exit codes, and no secret in any output.

use std::path::Path;
use std::process::Output;

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};

use crate::common::{cli_environment, text, DAEMON_SECRET as SECRET};

const ADELE: &str = "onedrive://adele@contoso.onmicrosoft.com";

async fn graphlink(emu: &RunningEmulator, secret: &str, cache: &Path, args: &[&str]) -> Output {
    crate::common::graphlink()
        .args(args)
        .envs(cli_environment(emu, secret))
        .env("GRAPHLINK_CACHE_DIR", cache)
        .output()
        .await
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[tokio::test]
async fn file_commands_round_trip_special_names_with_json_and_exit_codes() {
    let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");

    let out = graphlink(&emu, SECRET, &cache, &["--json", "connection", "test"]).await;
    assert_ok(&out);
    assert_eq!(json_lines(&out)[0]["ok"], true);

    // put a file whose name needs every kind of escaping, into a folder that does not exist yet
    // `?` is illegal in OneDrive names; everything else here must be escaped in URLs
    let name = "Q1 #2 100% 'final' été.txt";
    let local = work.path().join("upload.txt");
    let content: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&local, &content).unwrap();
    // mkdir -p; put creates the missing parents of its target itself
    let out = graphlink(
        &emu,
        SECRET,
        &cache,
        &["mkdir", &format!("{ADELE}/cli/empty/nested")],
    )
    .await;
    assert_ok(&out);
    let remote = format!("{ADELE}/cli/in box/{name}");
    let out = graphlink(
        &emu,
        SECRET,
        &cache,
        &["--json", "put", local.to_str().unwrap(), &remote],
    )
    .await;
    assert_ok(&out);
    assert_eq!(json_lines(&out)[0]["name"], name);

    let out = graphlink(
        &emu,
        SECRET,
        &cache,
        &["--json", "ls", &format!("{ADELE}/cli/in box")],
    )
    .await;
    assert_ok(&out);
    let listed = json_lines(&out);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["size"], 700_000);

    let out = graphlink(&emu, SECRET, &cache, &["cat", &remote]).await;
    assert_ok(&out);
    assert_eq!(out.stdout, content);

    let back = work.path().join("back.txt");
    let out = graphlink(
        &emu,
        SECRET,
        &cache,
        &["get", &remote, back.to_str().unwrap()],
    )
    .await;
    assert_ok(&out);
    assert_eq!(std::fs::read(&back).unwrap(), content);

    // mv into a new name, cp to another user's drive, rm
    let moved = format!("{ADELE}/cli/moved.txt");
    assert_ok(&graphlink(&emu, SECRET, &cache, &["mv", &remote, &moved]).await);
    let copy = "onedrive://megan@contoso.onmicrosoft.com/copied.txt";
    assert_ok(&graphlink(&emu, SECRET, &cache, &["cp", &moved, copy]).await);
    let out = graphlink(&emu, SECRET, &cache, &["--json", "stat", copy]).await;
    assert_ok(&out);
    assert_eq!(json_lines(&out)[0]["size"], 700_000);
    assert_ok(&graphlink(&emu, SECRET, &cache, &["rm", &moved]).await);

    // exit codes: not found 3, folder without -r 1, bad location 2, wrong secret 4
    let out = graphlink(&emu, SECRET, &cache, &["stat", &moved]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = graphlink(&emu, SECRET, &cache, &["rm", &format!("{ADELE}/cli")]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("-r"), "{}", text(&out.stderr));
    let out = graphlink(&emu, SECRET, &cache, &["ls", "s3://bucket/x"]).await;
    assert_eq!(out.status.code(), Some(2));
    let wrong = "not-the-secret-Zq9";
    let out = graphlink(&emu, wrong, &cache, &["ls", &format!("{ADELE}/")]).await;
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(err.contains("7000215"), "{err}");
    assert!(
        !err.contains(wrong) && !text(&out.stdout).contains(wrong),
        "{err}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn recursive_put_and_get_of_a_folder() {
    let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let src = work.path().join("tree");
    for i in 0..30u32 {
        let dir = src.join(format!("d{}", i % 3)).join("sub");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("f{i}.bin")),
            vec![i as u8; (i * 1000) as usize],
        )
        .unwrap();
    }
    let out = graphlink(
        &emu,
        SECRET,
        &cache,
        &[
            "--json",
            "put",
            "-r",
            "--transfers",
            "8",
            src.to_str().unwrap(),
            &format!("{ADELE}/tree"),
        ],
    )
    .await;
    assert_ok(&out);
    assert_eq!(json_lines(&out)[0]["files"], 30);
    let dest = work.path().join("down");
    let out = graphlink(
        &emu,
        SECRET,
        &cache,
        &[
            "get",
            "-r",
            &format!("{ADELE}/tree"),
            dest.to_str().unwrap(),
        ],
    )
    .await;
    assert_ok(&out);
    for i in 0..30u32 {
        let rel = Path::new(&format!("d{}", i % 3))
            .join("sub")
            .join(format!("f{i}.bin"));
        assert_eq!(
            std::fs::read(dest.join(&rel)).unwrap(),
            vec![i as u8; (i * 1000) as usize],
            "{rel:?}"
        );
    }
    emu.shutdown().await;
}
