//! The `kforge` binary driven as a user would: real files in a temporary repository, the
//! whole output and exit status checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A throwaway repository with a `blueprints/` directory.
struct Repo {
    dir: tempfile::TempDir,
}

mod common;
use common::{Run, run_kforge};

impl Repo {
    fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir_all(repo.path().join("blueprints")).unwrap();
        repo
    }

    /// A repository holding a copy of the project's example blueprints.
    fn with_examples() -> Repo {
        let repo = Repo::new();
        copy_dir(
            &Path::new(ROOT).join("blueprints"),
            &repo.path().join("blueprints"),
        );
        copy_dir(
            &Path::new(ROOT).join("overlays"),
            &repo.path().join("overlays"),
        );
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, relative: &str, text: &str) -> &Repo {
        let path = self.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    fn kforge(&self, args: &[&str]) -> Run {
        self.kforge_with(args, &[])
    }

    /// Runs kforge with extra environment variables (and no age identity unless given).
    fn kforge_with(&self, args: &[&str], env: &[(&str, &Path)]) -> Run {
        let env: Vec<(&str, &std::ffi::OsStr)> =
            env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
        run_kforge(self.path(), args, &env, None)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` with its content, inode and mtime.
fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u64, i64)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let meta = e.metadata().unwrap();
            let relative = e.path().strip_prefix(dir).unwrap().to_owned();
            (
                relative,
                (
                    fs::read(e.path()).unwrap(),
                    meta.ino(),
                    meta.mtime_nsec() + meta.mtime() * 1_000_000_000,
                ),
            )
        })
        .collect()
}

/// The identities of the example blueprints' throwaway key, `tests/fixtures/age/dev.key`.
fn example_identities() -> Vec<age::x25519::Identity> {
    let text = fs::read_to_string(Path::new(ROOT).join("tests/fixtures/age/dev.key")).unwrap();
    kforge::secrets::recipients::parse_identities(&zeroize::Zeroizing::new(text)).unwrap()
}

/// Why two SOPS-encrypted files are not the same Secret, or `None` when they are: the same
/// header comment, the same plain document once decrypted (which also checks each MAC), the
/// same recipients and the same SOPS settings. Their bytes differ on every encryption
/// (a fresh data key, IVs and `lastmodified`).
fn secret_difference(
    rendered: &[u8],
    committed: &[u8],
    identities: &[age::x25519::Identity],
) -> Option<String> {
    use yaml_rust2::{Yaml, YamlLoader};
    let parse = |bytes: &[u8]| -> Result<(Vec<String>, Yaml), String> {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let header = text
            .lines()
            .take_while(|line| line.starts_with('#'))
            .map(str::to_owned)
            .collect();
        let mut documents = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        match (documents.pop(), documents.is_empty()) {
            (Some(document), true) => Ok((header, document)),
            _ => Err("not one YAML document".to_owned()),
        }
    };
    let open = |bytes: &[u8]| -> Result<_, String> {
        let (header, document) = parse(bytes)?;
        let settings: Vec<Yaml> = ["encrypted_regex", "version"]
            .iter()
            .map(|key| document["sops"][*key].clone())
            .collect();
        let opened = kforge::secrets::sops::decrypt(&document, identities)
            .map_err(|e| format!("not an open-able SOPS document: {e}"))?;
        Ok((header, settings, opened))
    };
    let (rendered, committed) = match (open(rendered), open(committed)) {
        (Ok(rendered), Ok(committed)) => (rendered, committed),
        (Err(e), _) => return Some(format!("the fresh file is {e}")),
        (_, Err(e)) => return Some(format!("the committed file is {e}")),
    };
    [
        (rendered.0 != committed.0, "header comment"),
        (rendered.1 != committed.1, "SOPS settings"),
        (
            rendered.2.recipients != committed.2.recipients,
            "recipients",
        ),
        (rendered.2.plain != committed.2.plain, "decrypted content"),
    ]
    .into_iter()
    .find(|(differs, _)| *differs)
    .map(|(_, what)| format!("{what} differs"))
}

/// The cluster's CA and tokens of the committed trees, alone in their trees: state a render
/// keeps, like the values of a Secret (a fresh render would make a new CA).
fn seed_cluster_material(repo: &Repo) {
    for env in ["base", "dev", "prod"] {
        let dir = format!("out/platform/{env}");
        let mut owned = String::new();
        for file in ["nodes/ca.crt", "nodes/cluster-secrets.yaml"] {
            let text = fs::read_to_string(Path::new(ROOT).join(&dir).join(file)).unwrap();
            repo.write(&format!("{dir}/{file}"), &text);
            owned.push_str(&format!("{file}\n"));
        }
        repo.write(&format!("{dir}/.kforge-owned"), &owned);
    }
}

/// The example blueprints are golden tests: a render into a directory holding only the
/// cluster's CA gives exactly the committed `out/`: the same files (`.kforge-owned`
/// included, none missing, none extra), each with the same bytes, except that an encrypted
/// Secret is compared by what it decrypts to.
#[test]
fn the_examples_render_exactly_to_the_committed_tree() {
    let repo = Repo::with_examples();
    let out = repo.path().join("out");
    assert!(!out.exists(), "the render starts from nothing");
    seed_cluster_material(&repo);
    let key = Path::new(ROOT).join("tests/fixtures/age/dev.key");
    let run = repo.kforge_with(&["render"], &[("SOPS_AGE_KEY_FILE", &key)]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let rendered = snapshot_tree(&out);
    let committed = snapshot_tree(&Path::new(ROOT).join("out"));
    let only_in = |a: &BTreeMap<PathBuf, _>, b: &BTreeMap<PathBuf, _>| -> Vec<PathBuf> {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    assert!(
        committed.keys().any(|p| p.ends_with(".kforge-owned")),
        "the committed tree holds its manifests"
    );
    assert_eq!(
        (
            only_in(&rendered, &committed),
            only_in(&committed, &rendered)
        ),
        (vec![], vec![]),
        "(files only a fresh render writes, files only the committed out/ has): run `kforge render`"
    );

    let identities = example_identities();
    let mut secrets = 0;
    for (path, (content, _, _)) in &rendered {
        let want = &committed[path].0;
        if content == want {
            continue;
        }
        if let Some(why) = secret_difference(content, want, &identities) {
            panic!(
                "out/{} is stale ({why}): run `kforge render`",
                path.display()
            );
        }
        secrets += 1;
    }
    // Not vacuous: the examples' Secrets were encrypted afresh and still compared equal.
    assert!(secrets >= 3, "{secrets} Secrets compared by content");
}

#[test]
fn a_second_render_writes_nothing_and_check_passes() {
    let repo = Repo::with_examples();
    assert_eq!(repo.kforge(&["render"]).code, 0);
    let before = snapshot_tree(&repo.path().join("out"));
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("0 added, 0 changed, 0 removed"),
        "{}",
        run.stderr
    );
    assert_eq!(
        snapshot_tree(&repo.path().join("out")),
        before,
        "contents, inodes and mtimes unchanged"
    );
    assert_eq!(repo.kforge(&["render", "--check"]).code, 0);
}

#[test]
fn render_check_reports_stale_output_and_writes_nothing() {
    let repo = Repo::with_examples();
    assert_eq!(repo.kforge(&["render"]).code, 0);
    let minimal = repo.path().join("blueprints/minimal.yaml");
    let text = fs::read_to_string(&minimal)
        .unwrap()
        .replace("nginx-unprivileged:1.27.2", "nginx-unprivileged:1.27.3");
    fs::write(&minimal, text).unwrap();
    let before = snapshot_tree(&repo.path().join("out"));
    let run = repo.kforge(&["render", "--check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("default/deployment-hello.yaml"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_tree(&repo.path().join("out")), before);
}

#[test]
fn stale_owned_files_go_and_foreign_files_stay() {
    let repo = Repo::with_examples();
    assert_eq!(repo.kforge(&["render"]).code, 0);
    repo.write("out/minimal/base/README.md", "notes of the team\n");
    let minimal = repo.path().join("blueprints/minimal.yaml");
    let text = fs::read_to_string(&minimal)
        .unwrap()
        .replace(
            "      ports: [{name: http, port: 8080, servicePort: 80}]\n",
            "",
        )
        .replace(
            "      probes: {liveness: {tcp: http}, readiness: {http: {path: /, port: http}}}\n",
            "",
        );
    fs::write(&minimal, text).unwrap();
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let base = repo.path().join("out/minimal/base");
    assert!(!base.join("default/service-hello.yaml").exists());
    assert!(base.join("default/deployment-hello.yaml").exists());
    assert_eq!(
        fs::read_to_string(base.join("README.md")).unwrap(),
        "notes of the team\n"
    );
    let kustomization = fs::read_to_string(base.join("kustomization.yaml")).unwrap();
    assert!(!kustomization.contains("service-hello"));
}

#[test]
fn a_staging_directory_left_by_a_killed_render_is_reported_then_removed() {
    let repo = Repo::with_examples();
    assert_eq!(repo.kforge(&["render"]).code, 0);
    // What a render killed while assembling its new tree leaves beside the old one.
    repo.write(
        "out/platform/.prod.kforge-staging/web/deployment-web.yaml",
        "half written",
    );
    let check = repo.kforge(&["render", "--check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        check
            .stderr
            .contains("out/platform/.prod.kforge-staging (left by an interrupted render"),
        "{}",
        check.stderr
    );
    assert!(
        repo.path()
            .join("out/platform/.prod.kforge-staging")
            .exists()
    );
    let before = snapshot_tree(&repo.path().join("out/platform/prod"));
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("removed out/platform/.prod.kforge-staging"),
        "{}",
        run.stderr
    );
    assert!(
        !repo
            .path()
            .join("out/platform/.prod.kforge-staging")
            .exists()
    );
    assert_eq!(
        snapshot_tree(&repo.path().join("out/platform/prod")),
        before,
        "the tree itself is not rewritten"
    );
    assert_eq!(repo.kforge(&["render", "--check"]).code, 0);
}

#[test]
fn a_blueprint_outside_the_repository_is_refused_in_text_and_json() {
    let repo = Repo::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("b.yaml");
    fs::write(
        &outside,
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\n",
    )
    .unwrap();
    let outside = outside.to_str().unwrap();
    let run = repo.kforge(&["check", outside]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "error[outside-repository]: `{outside}` is outside the repository; kforge reads only files inside it\n"
        )
    );
    let json = repo.kforge(&["check", outside, "--output", "json"]);
    assert_eq!(json.code, 2);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["errors"][0]["rule"], "outside-repository");
    assert_eq!(report["errors"][0]["file"], outside);
}

/// Renders a good blueprint, swaps in a broken one and returns the failed run's stderr,
/// after asserting exit 2 and an untouched out/.
fn broken(fixture: &str) -> String {
    let repo = Repo::new();
    repo.write("blueprints/broken.yaml", "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: broken\nspec:\n  apps:\n    - {name: web, image: nginx:1.27.2, ports: [{port: 80}]}\n");
    assert_eq!(repo.kforge(&["render"]).code, 0);
    let before = snapshot_tree(&repo.path().join("out"));
    let text =
        fs::read_to_string(Path::new(ROOT).join("tests/fixtures/errors").join(fixture)).unwrap();
    repo.write("blueprints/broken.yaml", &text);
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        snapshot_tree(&repo.path().join("out")),
        before,
        "out/ must stay as it was"
    );
    assert!(
        run.stderr.contains("--> blueprints/broken.yaml:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
    run.stderr
}

#[test]
fn error_misspelt_field() {
    insta::assert_snapshot!(broken("misspelt-field.yaml"));
}

#[test]
fn error_wrong_type() {
    insta::assert_snapshot!(broken("wrong-type.yaml"));
}

#[test]
fn error_bad_quantity() {
    insta::assert_snapshot!(broken("bad-quantity.yaml"));
}

#[test]
fn error_duplicate_app() {
    insta::assert_snapshot!(broken("duplicate-app.yaml"));
}

#[test]
fn error_missing_port() {
    insta::assert_snapshot!(broken("missing-port.yaml"));
}

#[test]
fn error_unknown_storage_class() {
    insta::assert_snapshot!(broken("unknown-storage-class.yaml"));
}

#[test]
fn error_yaml_syntax() {
    insta::assert_snapshot!(broken("yaml-syntax.yaml"));
}

#[test]
fn error_several_at_once() {
    insta::assert_snapshot!(broken("several-errors.yaml"));
}

#[test]
fn error_delivery_bad_interval() {
    insta::assert_snapshot!(broken("delivery-bad-interval.yaml"));
}

#[test]
fn error_delivery_repo_url_without_scheme() {
    insta::assert_snapshot!(broken("delivery-repo-url-without-scheme.yaml"));
}

#[test]
fn error_delivery_secrets_without_decryption_secret() {
    let stderr = broken("delivery-secrets-without-decryption.yaml");
    assert!(!stderr.contains("pl41n-t3xt-v4lue"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn error_delivery_unknown_fields_under_flux_and_argocd() {
    insta::assert_snapshot!(broken("delivery-unknown-field.yaml"));
}

#[test]
fn errors_as_json() {
    let repo = Repo::new();
    let text =
        fs::read_to_string(Path::new(ROOT).join("tests/fixtures/errors/misspelt-field.yaml"))
            .unwrap();
    repo.write("blueprints/broken.yaml", &text);
    let run = repo.kforge(&["check", "--output", "json"]);
    assert_eq!(run.code, 2);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["findings"][0],
        serde_json::json!({
            "severity": "error", "rule": "unknown-field", "file": "blueprints/broken.yaml",
            "line": 9, "column": 7, "path": "spec.apps[0].replcas",
            "message": "unknown field `replcas`", "help": "did you mean `replicas`?"
        })
    );
}

#[test]
fn a_clean_check_as_json_is_one_document_with_no_findings() {
    let repo = Repo::with_examples();
    let run = repo.kforge(&["check", "blueprints/minimal.yaml", "--output", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json, serde_json::json!({"findings": []}));
    // With a warning (a literal secret value), still one document on stdout.
    repo.write(
        "blueprints/literal.yaml",
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: literal\nspec:\n  secrets:\n    - name: db\n      data: {password: {value: hunter2}}\n  encryption: {age: [age14wqr4ywsh9qwql298dz2cmjam5jgg4f4q9v0wele2hl2ww55v56q5tet4v]}\n",
    );
    let run = repo.kforge(&["check", "blueprints/literal.yaml", "--output", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["findings"][0]["rule"], "secret-literal-value",
        "{json}"
    );
    assert_eq!(json["findings"][0]["severity"], "warning");
}

#[test]
fn a_file_reference_may_not_leave_the_repository() {
    let repo = Repo::new();
    repo.write(
        "blueprints/escape.yaml",
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: escape\nspec:\n  configMaps:\n    - name: x\n      files: {passwd: {fromFile: ../../etc/passwd}}\n",
    );
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("leaves the repository"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> blueprints/escape.yaml:8:"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join("out").exists());
}

/// The hint to set `spec.delivery.flux.decryptionSecret` comes while Flux cannot decrypt the
/// Secrets, and following it gives a Kustomization that decrypts them.
#[test]
fn the_decryption_hint_is_followed_by_a_decrypting_kustomization() {
    let repo = Repo::new();
    let blueprint = "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: s\nspec:\n  encryption: {age: [age14wqr4ywsh9qwql298dz2cmjam5jgg4f4q9v0wele2hl2ww55v56q5tet4v]}\n  secrets:\n    - name: db\n      namespace: web\n      data: {password: {value: hunter2-plaintext}}\n  namespaces: [{name: web}]\n";
    repo.write("blueprints/s.yaml", blueprint);
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("set spec.delivery.flux.decryptionSecret"),
        "{}",
        run.stderr
    );
    let delivered = format!(
        "{blueprint}  delivery:\n    repoURL: https://git.example.com/s.git\n    flux: {{decryptionSecret: sops-age}}\n"
    );
    repo.write("blueprints/s.yaml", &delivered);
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("hint: Flux"), "{}", run.stderr);
    let flux = repo.path().join("out/s/base/delivery/flux");
    let apps =
        fs::read_to_string(flux.join("kustomization.kustomize.toolkit.fluxcd.io-s-base-apps.yaml"))
            .unwrap();
    assert!(
        apps.contains("decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"),
        "{apps}"
    );
    let cluster = fs::read_to_string(
        flux.join("kustomization.kustomize.toolkit.fluxcd.io-s-base-cluster.yaml"),
    )
    .unwrap();
    assert!(
        !cluster.contains("decryption"),
        "no Secrets there: {cluster}"
    );
    // Argo CD does not decrypt SOPS by itself: without a plugin that is a warning.
    repo.write(
        "blueprints/s.yaml",
        &format!("{delivered}    argocd: {{}}\n"),
    );
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning[argocd-without-decryption]")
            && run.stderr.contains("--> blueprints/s.yaml:15:5"),
        "{}",
        run.stderr
    );
    let with_plugin = format!("{delivered}    argocd: {{plugin: kustomize-sops}}\n");
    repo.write("blueprints/s.yaml", &with_plugin);
    let run = repo.kforge(&["render"]);
    assert!(
        !run.stderr.contains("argocd-without-decryption"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2-plaintext"));
}

#[test]
fn a_secret_without_recipients_is_refused_and_never_written() {
    let repo = Repo::new();
    repo.write(
        "blueprints/s.yaml",
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: s\nspec:\n  secrets:\n    - name: db\n      data: {password: {value: hunter2-plaintext}}\n",
    );
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no-encryption-recipients"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("hunter2-plaintext"),
        "the value must not be echoed"
    );
    assert!(!repo.path().join("out").exists());
    // `check` judges it the same way, without writing anything either.
    let check = repo.kforge(&["check"]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    assert!(
        check.stderr.contains("no-encryption-recipients")
            && check.stderr.contains("--> blueprints/s.yaml:7:"),
        "{}",
        check.stderr
    );
    assert!(!check.stderr.contains("hunter2-plaintext"));
    assert!(!repo.path().join("out").exists());
}

#[test]
fn the_committed_schema_is_current() {
    let repo = Repo::new();
    let run = repo.kforge(&["schema"]);
    assert_eq!(run.code, 0);
    let committed =
        fs::read_to_string(Path::new(ROOT).join("schemas/blueprint.schema.json")).unwrap();
    assert!(
        run.stdout == committed,
        "schemas/blueprint.schema.json is stale: run `kforge schema > schemas/blueprint.schema.json`"
    );
}

#[test]
fn the_example_blueprints_carry_the_schema_modeline() {
    for name in ["platform.yaml", "minimal.yaml"] {
        let text = fs::read_to_string(Path::new(ROOT).join("blueprints").join(name)).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/blueprint.schema.json\n"),
            "{name}"
        );
    }
}

#[test]
fn init_creates_a_starter_that_renders_without_a_warning() {
    let repo = Repo::new();
    fs::remove_dir(repo.path().join("blueprints")).unwrap();
    let run = repo.kforge(&["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in [
        "blueprints/starter.yaml",
        "schemas/blueprint.schema.json",
        ".sops.yaml",
        ".gitignore",
        ".github/workflows/kforge.yaml",
    ] {
        assert!(repo.path().join(file).is_file(), "{file}");
    }
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.to_lowercase().contains("warning") && !run.stdout.contains("warning"),
        "the first render is clean:\n{}{}",
        run.stdout,
        run.stderr
    );
    let base = repo.path().join("out/starter/base");
    assert!(base.join("web/deployment-web.yaml").exists());
    let namespace = fs::read_to_string(base.join("_cluster/namespace-web.yaml")).unwrap();
    assert!(namespace.contains("pod-security.kubernetes.io/enforce: restricted"));
    let run = repo.kforge(&["validate", "out/starter/base"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.ends_with(" objects: 0 errors, 0 warnings\n")
            || run.stderr.ends_with(" objects: 0 errors, 0 warnings\n"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let run = repo.kforge(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.to_lowercase().contains("warning"),
        "{}",
        run.stderr
    );
    assert_eq!(
        repo.kforge(&["init"]).code,
        2,
        "init never overwrites a blueprint"
    );
}

#[test]
fn init_keeps_a_repository_s_own_gitignore() {
    let repo = Repo::new();
    fs::remove_dir(repo.path().join("blueprints")).unwrap();
    repo.write(".gitignore", "target/\n");
    let run = repo.kforge(&["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(repo.path().join(".gitignore")).unwrap(),
        "target/\n"
    );
    assert!(
        run.stderr.contains("kept ./.gitignore as they were"),
        "{}",
        run.stderr
    );
    assert!(repo.path().join(".sops.yaml").is_file());
}

#[test]
fn help_shows_an_example_per_command() {
    let repo = Repo::new();
    for command in [
        "render",
        "check",
        "schema",
        "explain",
        "init",
        "completions",
    ] {
        let run = repo.kforge(&[command, "--help"]);
        assert_eq!(run.code, 0);
        assert!(
            run.stdout.contains("Examples:\n  kforge"),
            "{command}: {}",
            run.stdout
        );
    }
    let run = repo.kforge(&["completions", "bash"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("kforge"));
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(Repo::new().kforge(&["render", "--no-such-flag"]).code, 2);
    assert_eq!(Repo::new().kforge(&["render"]).code, 2, "no blueprints");
}

// ------------------------------------------------------------------------------ overlays

/// A repository with the overlay fixtures' base blueprint, rendered once; then the given
/// overlay files are added and rendered again. Asserts exit 2 and an untouched out/, and
/// returns stderr.
fn broken_overlay(overlays: &[(&str, &str)]) -> String {
    let repo = Repo::new();
    let fixtures = Path::new(ROOT).join("tests/fixtures/overlays");
    let base = fs::read_to_string(fixtures.join("base.yaml")).unwrap();
    repo.write("blueprints/shop.yaml", &base);
    assert_eq!(repo.kforge(&["render"]).code, 0);
    let before = snapshot_tree(&repo.path().join("out"));
    for (name, fixture) in overlays {
        let text = fs::read_to_string(fixtures.join(fixture)).unwrap();
        repo.write(&format!("overlays/{name}"), &text);
    }
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        snapshot_tree(&repo.path().join("out")),
        before,
        "out/ must stay as it was"
    );
    assert!(run.stderr.contains("--> overlays/"), "{}", run.stderr);
    run.stderr
}

#[test]
fn overlay_error_unknown_blueprint() {
    insta::assert_snapshot!(broken_overlay(&[("prod.yaml", "unknown-blueprint.yaml")]));
}

#[test]
fn overlay_error_delete_of_a_missing_item() {
    insta::assert_snapshot!(broken_overlay(&[("prod.yaml", "delete-missing.yaml")]));
}

#[test]
fn overlay_error_type_change() {
    insta::assert_snapshot!(broken_overlay(&[("prod.yaml", "type-change.yaml")]));
}

#[test]
fn overlay_error_two_overlays_with_one_environment_name() {
    insta::assert_snapshot!(broken_overlay(&[
        ("prod.yaml", "bad-value.yaml"),
        ("prod-eu.yaml", "bad-value.yaml"),
    ]));
}

#[test]
fn overlay_error_environment_name_not_a_label() {
    insta::assert_snapshot!(broken_overlay(&[("prod.yaml", "bad-env-name.yaml")]));
}

#[test]
fn overlay_error_in_a_patched_value_points_at_the_overlay() {
    let stderr = broken_overlay(&[("prod.yaml", "bad-value.yaml")]);
    assert!(stderr.contains("--> overlays/prod.yaml:10:19"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn overlay_check_error_points_at_the_overlay_and_names_the_environment() {
    let stderr = broken_overlay(&[("prod.yaml", "bad-port.yaml")]);
    assert!(stderr.contains("--> overlays/prod.yaml:11:45"), "{stderr}");
    assert!(stderr.contains("(environment `prod`)"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn show_prints_the_merged_blueprint_with_each_fields_source() {
    let repo = Repo::with_examples();
    let run = repo.kforge(&["show", "platform", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The patched image comes from the overlay, the untouched port from the blueprint.
    assert!(
        run.stdout
            .contains("image: \"nginxinc/nginx-unprivileged:1.27.3\"  # overlays/prod.yaml:"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("curl-client"), "deleted in prod");
    insta::assert_snapshot!(run.stdout);
    let dev = repo.kforge(&["show", "--env", "dev", "blueprints/platform.yaml"]);
    assert_eq!(dev.code, 0, "{}", dev.stderr);
    assert!(
        dev.stdout
            .contains("name: debug-tools  # overlays/dev.yaml:")
    );
}

#[test]
fn env_narrows_render_and_check_to_those_environments() {
    let repo = Repo::with_examples();
    let run = repo.kforge(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        repo.path()
            .join("out/platform/prod/kustomization.yaml")
            .exists()
    );
    assert!(!repo.path().join("out/platform/base").exists());
    assert!(!repo.path().join("out/platform/dev").exists());
    assert!(
        !repo.path().join("out/minimal").exists(),
        "minimal has no prod"
    );
    let check = repo.kforge(&["check", "--env", "dev", "--env", "base"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stderr.contains("platform/dev: ok"),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.contains("platform/base: ok"),
        "{}",
        check.stderr
    );
    assert!(!check.stderr.contains("platform/prod"), "{}", check.stderr);
    let unknown = repo.kforge(&["render", "--env", "prdo"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean `prod`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn replicas_an_overlay_sets_on_an_autoscaled_app_are_a_warning_at_the_overlay() {
    let repo = Repo::new();
    let fixtures = Path::new(ROOT).join("tests/fixtures/overlays");
    let base = fs::read_to_string(fixtures.join("base.yaml")).unwrap();
    // The base autoscales `web` instead of fixing its count.
    let base = base.replace(
        "      replicas: 2\n",
        "      autoscale: {minReplicas: 2, maxReplicas: 6, cpuUtilization: 70}\n",
    );
    repo.write("blueprints/shop.yaml", &base);
    repo.write(
        "overlays/prod.yaml",
        "apiVersion: kforge.io/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n  blueprint: shop\n  patch:\n    apps:\n      - name: web\n        replicas: 4\n",
    );
    let run = repo.kforge(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning[ignored-field]: spec.apps[0].replicas: `replicas: 4` has no effect"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> overlays/prod.yaml:10:9"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("(environment `prod`)"),
        "{}",
        run.stderr
    );
    // The HPA keeps the count: the Deployment leaves `replicas` out.
    let deployment =
        fs::read_to_string(repo.path().join("out/shop/prod/shop/deployment-web.yaml")).unwrap();
    assert!(!deployment.contains("replicas:"), "{deployment}");
}
