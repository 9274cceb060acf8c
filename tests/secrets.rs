//! Secrets end to end: the `kforge` binary renders SOPS-encrypted Secrets that the real
//! `sops` (from `KFORGE_TOOLS_BIN`) decrypts to the exact values, that a re-render keeps,
//! that never leak, and bad secret input that is refused with a clear message.
//!
//! These tests need `sops` and `age-keygen`, so they are ignored by a plain `cargo test` and
//! run by `scripts/test.sh`, which provides both; a missing tool fails them (`common::tool`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

mod common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The external tools these tests drive.
struct Tools {
    sops: PathBuf,
    age_keygen: PathBuf,
}

/// Both tools, or a panic that says how to get them.
fn tools() -> Tools {
    Tools {
        sops: common::tool("sops"),
        age_keygen: common::tool("age-keygen"),
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A throwaway repository with an age key pair.
struct Repo {
    dir: tempfile::TempDir,
    key_file: PathBuf,
    recipient: String,
}

impl Repo {
    fn new(tools: &Tools) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("age.key");
        let made = Command::new(&tools.age_keygen)
            .arg("-o")
            .arg(&key_file)
            .output()
            .unwrap();
        assert!(made.status.success(), "{made:?}");
        let public = Command::new(&tools.age_keygen)
            .arg("-y")
            .arg(&key_file)
            .output()
            .unwrap();
        let recipient = String::from_utf8(public.stdout).unwrap().trim().to_owned();
        fs::create_dir_all(dir.path().join("blueprints/secrets")).unwrap();
        Repo {
            dir,
            key_file,
            recipient,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, relative: &str, bytes: &[u8]) {
        let path = self.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    /// Runs kforge; `identity` gives it the age key, `env` sets variables.
    fn kforge(&self, args: &[&str], identity: bool, env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kforge"));
        command
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("SOPS_AGE_KEY_FILE")
            .env_remove("SOPS_AGE_KEY")
            .envs(env.iter().copied());
        if identity {
            command.env("SOPS_AGE_KEY_FILE", &self.key_file);
        }
        run(command.output().unwrap())
    }

    fn sops_decrypt(&self, tools: &Tools, file: &Path) -> Run {
        run(Command::new(&tools.sops)
            .arg("-d")
            .arg(file)
            .env("SOPS_AGE_KEY_FILE", &self.key_file)
            .env_remove("SOPS_AGE_KEY")
            .output()
            .unwrap())
    }

    fn out(&self) -> PathBuf {
        self.path().join("out/demo/base")
    }
}

/// Every file of a tree with its bytes, inode and mtime.
fn tree(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u64, i64)> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let meta = e.metadata().unwrap();
            (
                e.path().strip_prefix(dir).unwrap().to_owned(),
                (
                    fs::read(e.path()).unwrap(),
                    meta.ino(),
                    meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
                ),
            )
        })
        .collect()
}

const ENV_VALUE: &str = "pw-from-env-Qx7TzK";
const TOKEN: &str = "token-from-env-Lm3Vb";
const LITERAL: &str = "literal-Hk2Wq9";
const MULTI_LINE: &str =
    "-----BEGIN KEY-----\nmulti-line-Rp4Zs\n  indented: not yaml\n-----END KEY-----\n";
const NO_NEWLINE: &str = "first-line-Jd8Fc\nlast line without newline-Yt5Nw";

fn binary() -> Vec<u8> {
    (0..=255u8).rev().chain(0..=255u8).collect()
}

fn blueprint(recipient: &str) -> String {
    format!(
        "apiVersion: kforge.io/v1alpha1
kind: Blueprint
metadata:
  name: demo
spec:
  encryption:
    age: [{recipient}]
  secrets:
    - name: db
      namespace: web
      data:
        literal: {{value: {LITERAL}}}
        env: {{fromEnv: DB_PASSWORD}}
        tls.key: {{fromFile: secrets/tls.key}}
        note.txt: {{fromFile: secrets/note.txt}}
        blob.bin: {{fromFile: secrets/blob.bin}}
  apps:
    - name: web
      namespace: web
      image: nginx:1.27.2
      secretEnv:
        TOKEN: {{fromEnv: WEB_TOKEN}}
      uses:
        - secret: db
          env: {{DB_PASSWORD: env}}
"
    )
}

/// A repository holding the demo blueprint and its secret files.
fn demo(tools: &Tools) -> Repo {
    let repo = Repo::new(tools);
    repo.write(
        "blueprints/demo.yaml",
        blueprint(&repo.recipient).as_bytes(),
    );
    repo.write("blueprints/secrets/tls.key", MULTI_LINE.as_bytes());
    repo.write("blueprints/secrets/note.txt", NO_NEWLINE.as_bytes());
    repo.write("blueprints/secrets/blob.bin", &binary());
    repo
}

const ENV: &[(&str, &str)] = &[("DB_PASSWORD", ENV_VALUE), ("WEB_TOKEN", TOKEN)];

/// The `data` of a decrypted Secret, base64-decoded.
fn decrypted_data(text: &str) -> BTreeMap<String, Vec<u8>> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    assert!(value.get("sops").is_none(), "sops -d removes the metadata");
    value["data"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_owned(),
                STANDARD.decode(v.as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn sops_decrypts_every_kind_of_value_exactly() {
    let tools = tools();
    let repo = demo(&tools);
    let rendered = repo.kforge(&["render"], false, ENV);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);

    let db = repo.sops_decrypt(&tools, &repo.out().join("web/secret-db.yaml"));
    assert_eq!(db.code, 0, "{}", db.stderr);
    let data = decrypted_data(&db.stdout);
    let expected: BTreeMap<String, Vec<u8>> = [
        ("blob.bin", binary()),
        ("env", ENV_VALUE.as_bytes().to_vec()),
        ("literal", LITERAL.as_bytes().to_vec()),
        ("note.txt", NO_NEWLINE.as_bytes().to_vec()),
        ("tls.key", MULTI_LINE.as_bytes().to_vec()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(data, expected);
    assert!(db.stdout.contains("kind: Secret") && db.stdout.contains("type: Opaque"));

    let web = repo.sops_decrypt(&tools, &repo.out().join("web/secret-web-secret.yaml"));
    assert_eq!(web.code, 0, "{}", web.stderr);
    assert_eq!(decrypted_data(&web.stdout)["TOKEN"], TOKEN.as_bytes());
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn sops_refuses_a_file_with_one_byte_changed() {
    let tools = tools();
    let repo = demo(&tools);
    assert_eq!(repo.kforge(&["render"], false, ENV).code, 0);
    let file = repo.out().join("web/secret-db.yaml");
    let text = fs::read_to_string(&file).unwrap();
    let flip = |text: &str, at: usize| {
        let mut bytes = text.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };

    // A byte of a value's ciphertext: AES-GCM's authentication tag (its MAC) fails.
    let ciphertext = text.find("literal: \"ENC[AES256_GCM,data:").unwrap() + 32;
    fs::write(&file, flip(&text, ciphertext)).unwrap();
    let run = repo.sops_decrypt(&tools, &file);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("message authentication failed"),
        "{}",
        run.stderr
    );

    // A byte of a plain field: the document MAC no longer matches.
    let plain = text.find("namespace: web").unwrap() + "namespace: w".len();
    fs::write(&file, flip(&text, plain)).unwrap();
    let run = repo.sops_decrypt(&tools, &file);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("MAC mismatch"), "{}", run.stderr);

    // And untouched, it opens.
    fs::write(&file, &text).unwrap();
    assert_eq!(repo.sops_decrypt(&tools, &file).code, 0);
}

/// Every way a plain value could show up: itself, its lines, its base64.
fn needles() -> Vec<String> {
    let mut needles: Vec<String> = [ENV_VALUE, TOKEN, LITERAL, "changed-token-Vc8Pn"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for value in [MULTI_LINE, NO_NEWLINE] {
        needles.extend(
            value
                .lines()
                .filter(|l| l.contains('-') && l.len() > 8 && !l.starts_with("-----"))
                .map(str::to_owned),
        );
    }
    let encoded: Vec<String> = [
        ENV_VALUE.as_bytes(),
        TOKEN.as_bytes(),
        MULTI_LINE.as_bytes(),
        NO_NEWLINE.as_bytes(),
    ]
    .iter()
    .map(|v| STANDARD.encode(v))
    .collect();
    needles.extend(encoded);
    needles
}

fn git(repo: &Repo, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=kforge test",
            "-c",
            "user.email=test@example.com",
        ])
        .args(args)
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn no_plain_value_reaches_out_the_terminal_or_git_history() {
    let tools = tools();
    let repo = demo(&tools);
    // The secret inputs themselves are not committed, only out/.
    git(&repo, &["init", "-q", "-b", "main"]);
    let mut seen = String::new();
    let mut render = |identity: bool, env: &[(&str, &str)]| {
        let run = repo.kforge(&["render"], identity, env);
        assert_eq!(run.code, 0, "{}", run.stderr);
        seen.push_str(&run.stdout);
        seen.push_str(&run.stderr);
    };
    render(false, ENV);
    git(&repo, &["add", "out"]);
    git(&repo, &["commit", "-q", "-m", "first render"]);
    render(
        true,
        &[
            ("DB_PASSWORD", ENV_VALUE),
            ("WEB_TOKEN", "changed-token-Vc8Pn"),
        ],
    );
    git(&repo, &["add", "out"]);
    git(&repo, &["commit", "-q", "-m", "token changed"]);
    let check = repo.kforge(&["render", "--check"], false, ENV);
    seen.push_str(&check.stdout);
    seen.push_str(&check.stderr);
    let failed = repo.kforge(&["render"], true, &[("DB_PASSWORD", ENV_VALUE)]);
    assert_eq!(failed.code, 2, "WEB_TOKEN is missing");
    seen.push_str(&failed.stdout);
    seen.push_str(&failed.stderr);

    let history = git(&repo, &["log", "-p", "--all"]);
    assert!(
        history.contains("secret-db.yaml"),
        "the Secrets were committed"
    );
    let files: String = tree(&repo.path().join("out"))
        .values()
        .map(|(bytes, _, _)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    assert!(files.contains("ENC[AES256_GCM"));
    for needle in needles() {
        assert!(!files.contains(&needle), "out/ holds `{needle}`");
        assert!(!seen.contains(&needle), "kforge printed `{needle}`");
        assert!(!history.contains(&needle), "git history holds `{needle}`");
    }
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn a_re_render_with_the_identity_changes_nothing_and_one_value_one_file() {
    let tools = tools();
    let repo = demo(&tools);
    assert_eq!(repo.kforge(&["render"], false, ENV).code, 0);
    let before = tree(&repo.out());

    let again = repo.kforge(&["render"], true, ENV);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("0 added, 0 changed, 0 removed"),
        "{}",
        again.stderr
    );
    assert_eq!(
        tree(&repo.out()),
        before,
        "bytes, inodes and mtimes unchanged"
    );
    let check = repo.kforge(&["render", "--check"], true, ENV);
    assert_eq!(check.code, 0, "{}", check.stderr);

    let changed = [
        ("DB_PASSWORD", ENV_VALUE),
        ("WEB_TOKEN", "changed-token-Vc8Pn"),
    ];
    let check = repo.kforge(&["render", "--check"], true, &changed);
    assert_eq!(
        check.code, 1,
        "with the identity, a changed value is stale: {}",
        check.stderr
    );
    let run = repo.kforge(&["render"], true, &changed);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = tree(&repo.out());
    let differing: Vec<&PathBuf> = after
        .iter()
        .filter(|(path, (bytes, _, _))| before[*path].0 != *bytes)
        .map(|(path, _)| path)
        .collect();
    assert_eq!(differing, [Path::new("web/secret-web-secret.yaml")]);
    let web = repo.sops_decrypt(&tools, &repo.out().join("web/secret-web-secret.yaml"));
    assert_eq!(decrypted_data(&web.stdout)["TOKEN"], b"changed-token-Vc8Pn");
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn without_an_identity_unchanged_keys_keep_the_file_and_say_so() {
    let tools = tools();
    let repo = demo(&tools);
    assert_eq!(repo.kforge(&["render"], false, ENV).code, 0);
    let before = tree(&repo.out());
    let changed = [
        ("DB_PASSWORD", ENV_VALUE),
        ("WEB_TOKEN", "changed-token-Vc8Pn"),
    ];
    let check = repo.kforge(&["render", "--check"], false, &changed);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check
            .stderr
            .contains("web/secret-web-secret.yaml: keys TOKEN may differ"),
        "{}",
        check.stderr
    );
    assert!(check.stderr.contains("no age identity"), "{}", check.stderr);
    assert_eq!(tree(&repo.out()), before);

    // A new recipient needs the data key re-wrapped, which needs an identity.
    let other = Repo::new(&tools);
    let both = blueprint(&format!("{}, {}", repo.recipient, other.recipient));
    repo.write("blueprints/demo.yaml", both.as_bytes());
    let refused = repo.kforge(&["render"], false, ENV);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("recipients-changed"),
        "{}",
        refused.stderr
    );
    assert_eq!(tree(&repo.out()), before, "nothing written");
    let rewrapped = repo.kforge(&["render"], true, ENV);
    assert_eq!(rewrapped.code, 0, "{}", rewrapped.stderr);
    let db = fs::read_to_string(repo.out().join("web/secret-db.yaml")).unwrap();
    assert_eq!(db.matches("recipient: age1").count(), 2);
    let opened = run(Command::new(&tools.sops)
        .arg("-d")
        .arg(repo.out().join("web/secret-db.yaml"))
        .env("SOPS_AGE_KEY_FILE", &other.key_file)
        .output()
        .unwrap());
    assert_eq!(
        opened.code, 0,
        "the new recipient can decrypt: {}",
        opened.stderr
    );
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn a_file_encrypted_by_sops_itself_is_kept_when_it_holds_the_same_values() {
    let tools = tools();
    let repo = demo(&tools);
    assert_eq!(repo.kforge(&["render"], false, ENV).code, 0);
    let file = repo.out().join("web/secret-db.yaml");
    let plain = repo.sops_decrypt(&tools, &file);
    let plain_file = repo.path().join("plain.yaml");
    fs::write(&plain_file, &plain.stdout).unwrap();
    let by_hand = run(Command::new(&tools.sops)
        .args(["-e", "--encrypted-regex", "^(data|stringData)$", "--age"])
        .arg(&repo.recipient)
        .arg(&plain_file)
        .output()
        .unwrap());
    assert_eq!(by_hand.code, 0, "{}", by_hand.stderr);
    fs::remove_file(&plain_file).unwrap();
    fs::write(&file, &by_hand.stdout).unwrap();

    let run = repo.kforge(&["render"], true, ENV);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("0 changed"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        by_hand.stdout,
        "kept byte for byte"
    );
}

/// Renders a blueprint that should be refused; returns stderr after checking that nothing
/// was written.
fn refused(repo: &Repo, blueprint: &str) -> String {
    repo.write("blueprints/demo.yaml", blueprint.as_bytes());
    let run = repo.kforge(&["render"], false, ENV);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!repo.path().join("out").exists(), "nothing written");
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
    run.stderr
}

fn one_secret(recipients: &str, source: &str) -> String {
    format!(
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: demo\nspec:\n{recipients}  secrets:\n    - name: db\n      namespace: web\n      data:\n        password: {source}\n"
    )
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn error_secret_file_outside_the_repository() {
    let tools = tools();
    let repo = Repo::new(&tools);
    let recipients = format!("  encryption: {{age: [{}]}}\n", repo.recipient);
    insta::assert_snapshot!(refused(
        &repo,
        &one_secret(&recipients, "{fromFile: ../../etc/passwd}")
    ));
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn error_secret_file_symlink_out_of_the_repository() {
    let tools = tools();
    let repo = Repo::new(&tools);
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("stolen"), "not for the repo").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("stolen"),
        repo.path().join("blueprints/secrets/link"),
    )
    .unwrap();
    let recipients = format!("  encryption: {{age: [{}]}}\n", repo.recipient);
    let stderr = refused(&repo, &one_secret(&recipients, "{fromFile: secrets/link}"));
    assert!(!stderr.contains("not for the repo"));
    insta::assert_snapshot!(stderr);
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn error_missing_environment_variable() {
    let tools = tools();
    let repo = Repo::new(&tools);
    let recipients = format!("  encryption: {{age: [{}]}}\n", repo.recipient);
    insta::assert_snapshot!(refused(
        &repo,
        &one_secret(&recipients, "{fromEnv: KFORGE_TEST_NEVER_SET}")
    ));
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn error_invalid_age_recipient() {
    let tools = tools();
    let repo = Repo::new(&tools);
    insta::assert_snapshot!(refused(
        &repo,
        &one_secret(
            "  encryption: {age: [age1notarecipient]}\n",
            "{fromEnv: DB_PASSWORD}"
        )
    ));
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn error_no_recipients() {
    let tools = tools();
    let repo = Repo::new(&tools);
    insta::assert_snapshot!(refused(&repo, &one_secret("", "{fromEnv: DB_PASSWORD}")));
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn recipients_come_from_a_sops_yaml_creation_rule() {
    let tools = tools();
    let repo = demo(&tools);
    let without = blueprint(&repo.recipient).replace(
        &format!("  encryption:\n    age: [{}]\n", repo.recipient),
        "",
    );
    repo.write("blueprints/demo.yaml", without.as_bytes());
    repo.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - path_regex: ^out/.*/secret-web-secret\\.yaml$\n    age: {}\n",
            repo.recipient
        )
        .as_bytes(),
    );
    let run = repo.kforge(&["render"], false, ENV);
    assert_eq!(
        run.code, 2,
        "secret-db.yaml matches no rule: {}",
        run.stderr
    );
    assert!(run.stderr.contains("no creation rule"), "{}", run.stderr);
    repo.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - path_regex: ^out/\n    age: {}\n",
            repo.recipient
        )
        .as_bytes(),
    );
    let run = repo.kforge(&["render"], false, ENV);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let db = repo.sops_decrypt(&tools, &repo.out().join("web/secret-db.yaml"));
    assert_eq!(decrypted_data(&db.stdout)["literal"], LITERAL.as_bytes());
}

#[test]
#[ignore = "needs sops and age-keygen: run scripts/test.sh"]
fn the_committed_example_secret_opens_with_the_example_key() {
    let tools = tools();
    let root = Path::new(ROOT);
    let opened = run(Command::new(&tools.sops)
        .arg("-d")
        .arg(root.join("out/platform/base/wordpress/secret-mariadb-credentials.yaml"))
        .env("SOPS_AGE_KEY_FILE", root.join("tests/fixtures/age/dev.key"))
        .env_remove("SOPS_AGE_KEY")
        .output()
        .unwrap());
    assert_eq!(opened.code, 0, "{}", opened.stderr);
    let data = decrypted_data(&opened.stdout);
    let example = |name: &str| fs::read(root.join("blueprints/secrets").join(name)).unwrap();
    assert_eq!(data["password"], example("mariadb-password.example"));
    assert_eq!(
        data["root-password"],
        example("mariadb-root-password.example")
    );
}
