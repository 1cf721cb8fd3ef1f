//! Secrets round trip (key pair, add, decrypt on the node only), macros in settings.

use crate::common;

use common::*;
use graphlink_runtime::secrets::{self, KeyPair};
use graphlink_runtime::{validate, Project};

#[test]
fn key_pair_add_secret_and_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate();
    let key_file = dir.path().join("keys/node.key");
    key.write(&key_file).unwrap();
    assert!(key.write(&key_file).is_err(), "never overwrites a key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let project_dir = dir.path().join("project");
    std::fs::create_dir_all(&project_dir).unwrap();
    std::fs::write(
        project_dir.join("main.toml"),
        "# my project\n[environment.dev.values]\na = \"b\"\n",
    )
    .unwrap();
    secrets::create_secret_asset(&project_dir, "vault", &key.recipient(), None).unwrap();
    secrets::add_secret(&project_dir, "vault", "client_secret", "s3cr3t-value").unwrap();
    secrets::add_secret(&project_dir, "vault", "other", "x").unwrap();
    let text = std::fs::read_to_string(project_dir.join("secrets.toml")).unwrap();
    assert!(!text.contains("s3cr3t-value"), "stored encrypted");
    assert!(text.contains("client_secret = \"age:"), "{text}");

    let project = Project::load(&project_dir).unwrap();
    assert!(validate(&project).is_empty(), "{:?}", validate(&project));
    let reread = KeyPair::read(&key_file).unwrap();
    let values = secrets::decrypt_all(&project, &reread).unwrap();
    assert_eq!(values["client_secret"].expose(), "s3cr3t-value");
    assert!(
        !format!("{values:?}").contains("s3cr3t"),
        "Debug never shows secrets"
    );
    assert!(
        !format!("{reread:?}").contains("AGE-SECRET-KEY"),
        "Debug never shows the private key"
    );

    // Another key cannot decrypt.
    let other = KeyPair::generate();
    let err = secrets::decrypt_all(&project, &other)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot decrypt") && !err.contains("s3cr3t"),
        "{err}"
    );
}

#[tokio::test]
async fn node_resolves_env_lay_and_sec_macros() {
    let fx = Fixture::new();
    let key = KeyPair::generate();
    let key_file = fx.tmp.path().join("node.key");
    key.write(&key_file).unwrap();
    std::env::set_var("GL_RUNTIME_TEST_OUT", "from-env");
    fx.project_file(
        "p.toml",
        &(basic_project("", "done = \"done\"", "prefix = \"${sec:tag}-\"")
            .replace("directory = \"out\"", "directory = \"${lay:outdir}/${env:GL_RUNTIME_TEST_OUT}\"")
            + "\n[environment.dev.values]\noutdir = \"dev-out\"\n[environment.prod.values]\noutdir = \"prod-out\"\n"),
    );
    secrets::create_secret_asset(&fx.project_dir(), "vault", &key.recipient(), None).unwrap();
    secrets::add_secret(&fx.project_dir(), "vault", "tag", "T0pS3cret").unwrap();
    fx.put("in/a.txt", b"x");

    // Two stages and none chosen: the node refuses with the asset and field named.
    let mut opts = graphlink_runtime::NodeOptions::new(vec![], fx.state("s1"));
    opts.secret_key_file = Some(key_file.clone());
    let err = graphlink_runtime::Node::new(&fx.project(), opts)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sink 'out', field 'directory'") && err.contains("choose the stage"),
        "{err}"
    );

    // No private key: refused clearly.
    let mut opts = graphlink_runtime::NodeOptions::new(vec![], fx.state("s2"));
    opts.stage = Some("prod".into());
    let err = graphlink_runtime::Node::new(&fx.project(), opts)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("private key"), "{err}");

    let node = fx
        .node_with(&[], "s3", |o| {
            o.stage = Some("prod".into());
            o.secret_key_file = Some(key_file.clone());
        })
        .await;
    assert!(
        !format!("{node:?}").contains("T0pS3cret"),
        "a node's Debug never shows secrets"
    );
    assert_eq!(until_idle(&node).await.done, 1);
    assert_eq!(fx.read("prod-out/from-env/T0pS3cret-a.txt"), b"x");
}
