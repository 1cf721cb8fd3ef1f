//! Validation: one test per problem class, each asserting file, line, asset and field.

use graphlink_runtime::{validate_with, Problem, Project, ValidateOptions};

fn problems(text: &str) -> Vec<Problem> {
    let project = Project::from_str("proj.toml", text);
    let env = |n: &str| (n == "SET_VAR").then(|| "value".to_string());
    validate_with(
        &project,
        &ValidateOptions {
            stage: None,
            env: &env,
        },
    )
}

/// Asserts exactly one problem matching asset/field/message fragment, and returns its text.
#[track_caller]
fn one(ps: &[Problem], asset: &str, field: &str, fragment: &str) -> String {
    let found: Vec<&Problem> = ps
        .iter()
        .filter(|p| {
            p.asset.as_deref() == Some(asset)
                && p.field.as_deref() == Some(field)
                && p.message.contains(fragment)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one problem [{asset}] [{field}] '{fragment}' in:\n{}",
        render(ps)
    );
    let text = found[0].to_string();
    assert!(text.starts_with("proj.toml:"), "{text}");
    assert!(text.contains(asset) && text.contains(field), "{text}");
    text
}

fn render(ps: &[Problem]) -> String {
    ps.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

const LOCAL: &str = r#"
[source.in]
type = "local"
root = "/tmp/x"
[source.in.folders.main]
input = "in"
done = "done"

[sink.out]
type = "local"
root = "/tmp/x"
directory = "out"

[workflow.w]
source = "in"
sink = "out"
"#;

#[test]
fn a_valid_project_has_no_problem() {
    let ps = problems(LOCAL);
    assert!(ps.is_empty(), "{}", render(&ps));
}

#[test]
fn names_with_whitespace_and_duplicates() {
    let ps = problems(&format!(
        "{LOCAL}\n[sink.\"bad name\"]\ntype = \"local\"\nroot = \"/r\"\n"
    ));
    let t = one(&ps, "sink 'bad name'", "name", "whitespace");
    assert!(t.starts_with("proj.toml:18:"), "{t}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), LOCAL).unwrap();
    std::fs::write(
        dir.path().join("b.toml"),
        "\n\n[sink.out]\ntype = \"local\"\nroot = \"/r\"\n",
    )
    .unwrap();
    let project = Project::load(dir.path()).unwrap();
    let ps = graphlink_runtime::validate(&project);
    let dup: Vec<String> = ps
        .iter()
        .filter(|p| p.message.contains("duplicate"))
        .map(ToString::to_string)
        .collect();
    assert_eq!(dup.len(), 1, "{}", render(&ps));
    assert!(dup[0].starts_with("b.toml:3: sink 'out', field 'name': duplicate sink name 'out' (first defined at a.toml:9)"), "{}", dup[0]);
}

#[test]
fn unknown_references() {
    let ps = problems(&LOCAL.replace("sink = \"out\"", "sink = \"nowhere\""));
    let t = one(
        &ps,
        "workflow 'w'",
        "sink",
        "unknown sink 'nowhere' (known: out)",
    );
    assert!(t.starts_with("proj.toml:16:"), "{t}");
    let ps = problems(&format!(
        "{}\n[sink.od]\ntype = \"onedrive\"\nconnection = \"nope\"\ndirectory = \"x\"\n",
        LOCAL
    ));
    one(
        &ps,
        "sink 'od'",
        "connection",
        "unknown connection 'nope' (the project has no connection assets)",
    );
}

#[test]
fn unresolvable_macros() {
    let text = LOCAL
        .replace(
            "root = \"/tmp/x\"\n[source",
            "root = \"${env:UNSET_VAR_FOR_TEST}\"\n[source",
        )
        .replace(
            "directory = \"out\"",
            "directory = \"${lay:outdir}/${sec:nokey}/${file.name}\"",
        )
        .replace("input = \"in\"", "input = \"${file.name}\"");
    let ps = problems(&text);
    one(
        &ps,
        "source 'in'",
        "root",
        "environment variable 'UNSET_VAR_FOR_TEST' is not set",
    );
    one(&ps, "sink 'out'", "directory", "${lay:outdir}");
    one(
        &ps,
        "sink 'out'",
        "directory",
        "no secret asset holds key 'nokey'",
    );
    one(
        &ps,
        "source 'in'",
        "folders.main.input",
        "cannot be used here",
    );
    let ps = problems(&LOCAL.replace("directory = \"out\"", "directory = \"${bogus}\""));
    one(&ps, "sink 'out'", "directory", "unknown macro");
    // A set variable and a defined environment key resolve.
    let ps = problems(&format!(
        "{}\n[environment.dev.values]\noutdir = \"o\"\n",
        LOCAL.replace(
            "directory = \"out\"",
            "directory = \"${lay:outdir}/${env:SET_VAR}\""
        )
    ));
    assert!(ps.is_empty(), "{}", render(&ps));
}

#[test]
fn invalid_regex_cron_duration_and_values() {
    let text = LOCAL
        .replace("input = \"in\"", "input = \"in\"\nfilter = \"([a-z\"")
        .replace("type = \"local\"\nroot = \"/tmp/x\"\n[source", "type = \"local\"\nroot = \"/tmp/x\"\npoll_cron = \"61 * * * *\"\nstable_time = \"soon\"\norder = \"random\"\n[source");
    let ps = problems(&text);
    one(
        &ps,
        "source 'in'",
        "folders.main.filter",
        "invalid regular expression",
    );
    one(&ps, "source 'in'", "poll_cron", "invalid cron expression");
    one(&ps, "source 'in'", "stable_time", "invalid duration 'soon'");
    one(&ps, "source 'in'", "order", "unknown value 'random'");
}

#[test]
fn unknown_fields_wrong_types_and_missing_fields() {
    let text = LOCAL
        .replace("directory = \"out\"", "directory = 5\ncolour = \"blue\"")
        .replace("source = \"in\"\n", "");
    let ps = problems(&text);
    one(
        &ps,
        "sink 'out'",
        "directory",
        "expected a string, found an integer",
    );
    one(&ps, "sink 'out'", "colour", "unknown field 'colour'");
    one(
        &ps,
        "workflow 'w'",
        "source",
        "missing required field 'source'",
    );
    let ps = problems("[source.x]\ntype = \"local\"\nroot = \"r\"\n");
    one(&ps, "source 'x'", "folders", "at least one folder setup");
    let ps = problems("[nonsense.x]\na = 1\n[workflow.w\n");
    assert!(
        ps.iter().any(|p| p.message.contains("not valid TOML")),
        "{}",
        render(&ps)
    );
}

#[test]
fn impossible_combinations() {
    // done dir = input dir; automatic + keep; archive without directory; temp = output name.
    let text = LOCAL
        .replace("done = \"done\"", "done = \"in\"")
        .replace("directory = \"out\"", "directory = \"out\"\nwhen_exists = \"archive\"\ntemp_prefix = \"\"\ntemp_suffix = \"\"")
        + "\n[source.auto]\ntype = \"local\"\nroot = \"r\"\nreprocessing = \"automatic\"\n[source.auto.folders.f]\ninput = \"i\"\non_success = \"keep\"\n";
    let ps = problems(&text);
    one(
        &ps,
        "source 'in'",
        "folders.main.done",
        "the done directory is the input directory",
    );
    one(
        &ps,
        "source 'auto'",
        "folders.f.on_success",
        "would take the same file forever",
    );
    one(&ps, "sink 'out'", "when_exists", "needs archive_directory");
    one(
        &ps,
        "sink 'out'",
        "temp_prefix",
        "temporary names equal the output names",
    );
}

const CONN: &str = r#"
[connection.c]
tenant = "contoso.onmicrosoft.com"
client_id = "11111111-1111-4111-8111-111111111111"
credential = "device-flow"
scopes = ["User.Read"]
"#;

#[test]
fn connection_combinations() {
    let ps = problems(CONN);
    assert!(ps.is_empty(), "{}", render(&ps));
    let ps = problems(&CONN.replace("scopes = [\"User.Read\"]", ""));
    one(
        &ps,
        "connection 'c'",
        "scopes",
        "device flow needs delegated scopes",
    );
    let app = CONN.replace(
        "credential = \"device-flow\"",
        "credential = \"client-secret\"\nclient_secret = \"plain\"",
    );
    let ps = problems(&app);
    one(
        &ps,
        "connection 'c'",
        "scopes",
        "delegated scopes cannot be mixed in",
    );
    one(
        &ps,
        "connection 'c'",
        "client_secret",
        "must not be written in plain text",
    );
    let ps = problems(&CONN.replace(
        "credential = \"device-flow\"",
        "credential = \"client-secret\"",
    ));
    one(
        &ps,
        "connection 'c'",
        "client_secret",
        "missing required field 'client_secret'",
    );
    let ps = problems(&format!("{CONN}cloud = \"custom\"\nallow_insecure_http = false\nauthority_host = \"http://127.0.0.1:1\"\n"));
    one(&ps, "connection 'c'", "graph_url", "needs graph_url");
    one(&ps, "connection 'c'", "authority_host", "plain http");
    let ps = problems(&CONN.replace("11111111-1111-4111-8111-111111111111", "not-a-guid"));
    one(&ps, "connection 'c'", "client_id", "not an application id");
    let ps = problems(
        &CONN
            .replace(
                "credential = \"device-flow\"\nscopes = [\"User.Read\"]",
                "credential = \"client-certificate\"\ncertificate_key = \"/no/such/key.pem\"",
            )
            .replace("contoso.onmicrosoft.com", "common"),
    );
    one(&ps, "connection 'c'", "certificate_key", "does not exist");
    one(&ps, "connection 'c'", "tenant", "concrete tenant");
}

/// The connection rules are graphlink-identity's (client id, tenant, cloud names), reported
/// with file, line, asset and field.
#[test]
fn connection_rules_come_from_identity() {
    // A client id is a GUID; an empty one is reported as such; a macro is checked once resolved.
    let ps = problems(&CONN.replace("11111111-1111-4111-8111-111111111111", ""));
    let t = one(
        &ps,
        "connection 'c'",
        "client_id",
        "the client (application) id is empty",
    );
    assert!(t.starts_with("proj.toml:4:"), "{t}");
    let ps = problems(&CONN.replace("11111111-1111-4111-8111-111111111111", "${env:SET_VAR}"));
    assert!(ps.is_empty(), "{}", render(&ps));
    let ps = problems(&CONN.replace("\"11111111-1111-4111-8111-111111111111\"", "5"));
    one(&ps, "connection 'c'", "client_id", "expected a string");
    assert_eq!(ps.len(), 1, "{}", render(&ps));

    // A tenant is an id, a domain or common/organizations/consumers; client credentials need
    // a concrete one, the device flow does not.
    let ps = problems(&CONN.replace("contoso.onmicrosoft.com", "contoso"));
    let t = one(
        &ps,
        "connection 'c'",
        "tenant",
        "tenant 'contoso' is neither a tenant id",
    );
    assert!(t.starts_with("proj.toml:3:"), "{t}");
    let ps = problems(&CONN.replace("contoso.onmicrosoft.com", "common"));
    assert!(ps.is_empty(), "{}", render(&ps));
    let app = CONN
        .replace("contoso.onmicrosoft.com", "Organizations")
        .replace(
            "credential = \"device-flow\"\nscopes = [\"User.Read\"]",
            "credential = \"client-secret\"\nclient_secret = \"${env:SET_VAR}\"",
        );
    let t = one(
        &problems(&app),
        "connection 'c'",
        "tenant",
        "concrete tenant",
    );
    assert!(
        t.ends_with("client credentials (secret or certificate) need a concrete tenant id or domain, not 'organizations'"),
        "{t}"
    );
    let ps = problems(&CONN.replace("contoso.onmicrosoft.com", "${lay:tenant}"));
    assert!(
        !ps.iter().any(|p| p.message.contains("neither")),
        "{}",
        render(&ps)
    );

    // Cloud names and aliases are identity's, and so is the list of known values.
    for alias in [
        "usgov",
        "us-gov",
        "AzureUSGovernment",
        "us_gov_dod",
        "public",
    ] {
        let ps = problems(&format!("{CONN}cloud = \"{alias}\"\n"));
        assert!(ps.is_empty(), "{alias}: {}", render(&ps));
    }
    let ps = problems(&format!("{CONN}cloud = \"mars\"\n"));
    let t = one(&ps, "connection 'c'", "cloud", "unknown value 'mars'");
    assert_eq!(
        t,
        "proj.toml:7: connection 'c', field 'cloud': unknown value 'mars': expected one of global, usgov, usgovdod, china, custom"
    );
}

/// The credential kind: its keywords (with aliases) listed when unknown; without a usable
/// credential the connection is left out, and references to it are not reported again.
#[test]
fn credential_kinds() {
    for alias in ["device-code", "Device_Flow"] {
        let ps = problems(&CONN.replace("\"device-flow\"", &format!("\"{alias}\"")));
        assert!(ps.is_empty(), "{alias}: {}", render(&ps));
    }
    let text = format!(
        "{}\n[sink.od]\ntype = \"onedrive\"\nconnection = \"c\"\ndirectory = \"x\"\n",
        CONN.replace("\"device-flow\"", "\"password\"")
    );
    let ps = problems(&text);
    let t = one(
        &ps,
        "connection 'c'",
        "credential",
        "unknown value 'password'",
    );
    assert!(
        t.ends_with("expected one of client-secret, secret, client-certificate, certificate, device-flow, device-code"),
        "{t}"
    );
    assert!(
        !ps.iter().any(|p| p.message.contains("unknown connection")),
        "{}",
        render(&ps)
    );
    let ps = problems(&CONN.replace("credential = \"device-flow\"\n", ""));
    one(
        &ps,
        "connection 'c'",
        "credential",
        "missing required field 'credential' (client-secret, client-certificate or device-flow)",
    );
}

/// Settings declared once: the defaults they declare are what a project gets, keywords keep
/// their aliases and known-value lists, and keys of another storage type are unknown fields.
#[test]
fn declared_defaults_keywords_and_storage_types() {
    let project = Project::from_str("proj.toml", LOCAL);
    let sink = project.sink("out").unwrap();
    assert_eq!(sink.file_name, "${file.name}");
    assert_eq!(sink.temp_prefix, ".graphlink-");
    assert_eq!(sink.temp_suffix, ".part");
    assert!(sink.create_dirs);
    assert_eq!(sink.post_retries, 3);
    let source = project.source("in").unwrap();
    assert_eq!(
        source.max_streams_period,
        std::time::Duration::from_secs(60)
    );
    assert_eq!(source.post_retries, 3);
    let folder = &source.folders[0];
    assert_eq!(folder.name, "main");
    assert_eq!(
        folder.on_success,
        graphlink_runtime::model::InputAfter::Move
    );
    assert_eq!(
        folder.on_failure,
        graphlink_runtime::model::InputAfter::Keep
    );
    let done = folder.done.as_ref().unwrap();
    assert_eq!(
        done.when_exists,
        graphlink_runtime::model::ExistsPolicy::RenameExistingCounter
    );

    let ps = problems(&LOCAL.replace(
        "directory = \"out\"",
        "directory = \"out\"\nwhen_exists = \"rename_counter\"\narchive_exists = \"keep\"",
    ));
    let t = one(&ps, "sink 'out'", "archive_exists", "unknown value 'keep'");
    assert!(
        t.ends_with("expected one of replace, counter, timestamp"),
        "{t}"
    );
    assert_eq!(ps.len(), 1, "{}", render(&ps));

    let ps = problems(&LOCAL.replace(
        "directory = \"out\"",
        "directory = \"out\"\nsite = \"Finance\"",
    ));
    let t = one(&ps, "sink 'out'", "site", "unknown field 'site'");
    assert!(t.starts_with("proj.toml:13:"), "{t}");
    let ps = problems(&LOCAL.replace(
        "type = \"local\"\nroot = \"/tmp/x\"\ndirectory",
        "type = \"ftp\"\nroot = \"/tmp/x\"\ndirectory",
    ));
    let t = one(&ps, "sink 'out'", "type", "unknown value 'ftp'");
    assert!(
        t.ends_with("expected one of onedrive, sharepoint, local"),
        "{t}"
    );
}

#[test]
fn teams_service_checks() {
    let text = format!(
        "{}\n[service.t]\ntype = \"teams\"\nconnection = \"c\"\n[service.t.channels.\"Finance alerts\"]\nteam = \"Finance\"\n\n{}\n[workflow.w.on_success]\nservice = \"t\"\nconversation = \"Nope\"\nmessage = \"${{error}} ${{file.name}}\"\n",
        CONN.replace("credential = \"device-flow\"\nscopes = [\"User.Read\"]", "credential = \"client-secret\"\nclient_secret = \"${env:SET_VAR}\""),
        LOCAL
    );
    let ps = problems(&text);
    one(&ps, "service 't'", "connection", "app-only");
    one(
        &ps,
        "workflow 'w'",
        "on_success.conversation",
        "has no channel or chat 'Nope' (known: Finance alerts)",
    );
    let ok = text.replace("Nope", "Finance alerts");
    assert!(!problems(&ok)
        .iter()
        .any(|p| p.field.as_deref() == Some("on_success.conversation")));
}

#[test]
fn usage_follows_chains() {
    let text = format!(
        "{CONN}\n[sink.od]\ntype = \"onedrive\"\nconnection = \"c\"\ndirectory = \"x\"\n{}",
        LOCAL.replace("sink = \"out\"", "sink = \"od\"")
    );
    let project = Project::from_str("proj.toml", &text);
    let u = graphlink_runtime::usage(&project, "c");
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].count(), 1);
    assert_eq!(u[0].direct[0].from.to_string(), "sink 'od'");
    let chains: Vec<String> = u[0]
        .chains
        .iter()
        .map(|c| {
            c.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" -> ")
        })
        .collect();
    assert_eq!(chains, vec!["sink 'od'", "workflow 'w' -> sink 'od'"]);
    assert!(graphlink_runtime::usage(&project, "sink:out")[0]
        .direct
        .is_empty());
}
