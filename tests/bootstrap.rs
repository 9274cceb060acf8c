//! Node bootstrap (issue 14): the generated files against the tools that read them
//! (shellcheck, cloud-init, kubeadm, openssl), `bootstrap.sh` in a sandbox with recording
//! stub commands, the cluster CA kept across renders, no plaintext secret anywhere, and bad
//! cluster input refused with its position.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{run_kforge, tool};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A second cluster that takes the other branches: Flannel, cgroupfs, two control planes,
/// labels and taints.
const FLANNEL: &str = "apiVersion: kforge.io/v1alpha1
kind: Blueprint
metadata:
  name: flannel-lab
spec:
  kubernetesVersion: \"1.33\"
  cluster:
    name: flab
    version: 1.33.4
    controlPlaneEndpoint: 10.0.0.100:6443
    podCIDR: 10.200.0.0/16
    cni: flannel
    cniVersion: v0.27.4
    cgroupDriver: cgroupfs
    nodes:
      - {name: cp-1, role: control-plane, address: 10.0.0.11}
      - {name: cp-2, role: control-plane, address: 10.0.0.12, interface: eth1}
      - name: w-1
        role: worker
        address: 10.0.0.21
        labels: {example.com/pool: general, node.kubernetes.io/exclude-from-external-load-balancers: \"true\"}
        taints: [{key: example.com/dedicated, value: batch, effect: NoSchedule}]
  encryption: {age: [age14wqr4ywsh9qwql298dz2cmjam5jgg4f4q9v0wele2hl2ww55v56q5tet4v]}
";

fn key_file() -> PathBuf {
    Path::new(ROOT).join("tests/fixtures/age/dev.key")
}

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// The example blueprints and the Flannel lab, rendered from nothing with the example
    /// identity.
    fn rendered() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        for sub in ["blueprints", "overlays"] {
            let from = Path::new(ROOT).join(sub);
            for entry in walkdir::WalkDir::new(&from) {
                let entry = entry.unwrap();
                if entry.file_type().is_file() {
                    let to = repo
                        .path()
                        .join(sub)
                        .join(entry.path().strip_prefix(&from).unwrap());
                    fs::create_dir_all(to.parent().unwrap()).unwrap();
                    fs::copy(entry.path(), to).unwrap();
                }
            }
        }
        fs::write(repo.path().join("blueprints/flannel.yaml"), FLANNEL).unwrap();
        let run = repo.kforge(&["render"], true);
        assert_eq!(run.code, 0, "{}", run.stderr);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn kforge(&self, args: &[&str], identity: bool) -> common::Run {
        let key = key_file();
        let env: Vec<(&str, &std::ffi::OsStr)> = if identity {
            vec![("SOPS_AGE_KEY_FILE", key.as_os_str())]
        } else {
            Vec::new()
        };
        run_kforge(self.path(), args, &env, None)
    }

    /// Every file under out/ whose name is `name`.
    fn files(&self, name: &str) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = walkdir::WalkDir::new(self.path().join("out"))
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file() && e.file_name() == name)
            .map(|e| e.into_path())
            .collect();
        found.sort();
        found
    }

    /// `kforge nodes user-data NODE --decrypt` for a blueprint and environment.
    fn decrypted(&self, blueprint: &str, env: &str, node: &str) -> common::Run {
        let run = self.kforge(
            &[
                "nodes",
                "user-data",
                node,
                blueprint,
                "--env",
                env,
                "--decrypt",
            ],
            true,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        run
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The token and CA key of a decrypted user-data.
fn secrets_of(user_data: &str) -> (String, String) {
    let doc: serde_yaml::Value = serde_yaml::from_str(user_data).unwrap();
    let files = doc["write_files"].as_sequence().unwrap();
    let content = |path: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str() == Some(path))
            .and_then(|f| f["content"].as_str())
            .map(str::to_owned)
    };
    let kubeadm = content("/etc/kforge/kubeadm.yaml").unwrap();
    let token = kubeadm
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .unwrap()
        .to_owned();
    let key = content("/etc/kubernetes/pki/ca.key").unwrap();
    (token, key)
}

#[test]
#[ignore = "needs shellcheck: run scripts/test.sh"]
fn every_generated_script_passes_shellcheck() {
    let shellcheck = tool("shellcheck");
    let repo = Repo::rendered();
    let scripts = repo.files("bootstrap.sh");
    assert!(scripts.len() >= 12, "{scripts:?}");
    for script in &scripts {
        accepts(&shellcheck, &["--severity=warning", "--shell=bash"], script);
    }
}

/// Asserts that `program ARGS FILE` accepts the file, showing what it said otherwise.
fn accepts(program: &Path, args: &[&str], file: &Path) {
    let out = Command::new(program).args(args).arg(file).output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?} {}:\n{}{}",
        program.display(),
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What `program ARGS` prints for `input` on its standard input.
fn piped(program: &Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{} {args:?}", program.display());
    out.stdout
}

#[test]
#[ignore = "needs cloud-init: run scripts/test.sh"]
fn every_user_data_and_the_decrypted_one_pass_cloud_init_schema() {
    let cloud_init = tool("cloud-init");
    let repo = Repo::rendered();
    let user_data = repo.files("user-data");
    assert!(user_data.len() >= 12, "{user_data:?}");
    for file in &user_data {
        assert!(read(file).starts_with("#cloud-config\n"));
        accepts(&cloud_init, &["schema", "-c"], file);
    }
    let scratch = tempfile::tempdir().unwrap();
    for (blueprint, node) in [
        ("platform", "master"),
        ("platform", "worker-1"),
        ("flannel-lab", "cp-1"),
        ("flannel-lab", "cp-2"),
    ] {
        let run = repo.decrypted(blueprint, "base", node);
        let file = scratch.path().join(format!("{blueprint}-{node}"));
        fs::write(&file, &run.stdout).unwrap();
        accepts(&cloud_init, &["schema", "-c"], &file);
    }
}

#[test]
#[ignore = "needs kubeadm (KFORGE_KUBE_BIN): run scripts/test.sh"]
fn every_kubeadm_config_passes_kubeadm_config_validate() {
    let bin = std::env::var_os("KFORGE_KUBE_BIN").unwrap_or_else(|| {
        panic!("this test needs KFORGE_KUBE_BIN, the directory with kubeadm built from k8s.io/kubernetes: {}", common::HOW_TO_GET)
    });
    let kubeadm = Path::new(&bin).join("kubeadm");
    assert!(
        kubeadm.is_file(),
        "no kubeadm in KFORGE_KUBE_BIN ({}): {}",
        kubeadm.display(),
        common::HOW_TO_GET
    );
    let version = Command::new(&kubeadm)
        .args(["version", "-o", "short"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with("v1.33."),
        "kubeadm at the cluster's minor, got {version}"
    );
    let repo = Repo::rendered();
    let configs = repo.files("kubeadm.yaml");
    assert!(configs.len() >= 12, "{configs:?}");
    for config in &configs {
        accepts(&kubeadm, &["config", "validate", "--config"], config);
    }
}

#[test]
#[ignore = "needs openssl: run scripts/test.sh"]
fn ca_cert_hashes_is_the_sha256_of_the_public_key_as_openssl_computes_it() {
    let openssl = tool("openssl");
    let repo = Repo::rendered();
    let cert = repo.path().join("out/platform/base/nodes/ca.crt");
    let run = |args: &[&str], input: &[u8]| piped(&openssl, args, input);
    let pubkey = run(&["x509", "-pubkey", "-noout"], read(&cert).as_bytes());
    let der = run(&["pkey", "-pubin", "-outform", "der"], &pubkey);
    let digest = piped(&tool("sha256sum"), &[], &der);
    let hex = String::from_utf8_lossy(&digest)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(hex.len(), 64);
    let expected = format!("sha256:{hex}");
    for node in ["worker-1", "worker-2"] {
        let kubeadm = read(
            &repo
                .path()
                .join(format!("out/platform/base/nodes/{node}/kubeadm.yaml")),
        );
        assert!(
            kubeadm.contains(&format!("- \"{expected}\""))
                || kubeadm.contains(&format!("- {expected}")),
            "{kubeadm}"
        );
    }
    // The CA is a CA.
    let text = run(&["x509", "-noout", "-text"], read(&cert).as_bytes());
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.contains("CA:TRUE") && text.contains("CN = kubernetes"),
        "{text}"
    );
}

/// Every file of the tree, by path, with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_owned(), fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn the_ca_and_token_stay_across_renders_with_and_without_an_identity() {
    let repo = Repo::rendered();
    let out = repo.path().join("out");
    let before = tree(&out);
    let first = repo.decrypted("platform", "base", "master").stdout;
    for identity in [false, true] {
        let run = repo.kforge(&["render"], identity);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(tree(&out), before, "identity: {identity}");
        assert_eq!(repo.kforge(&["render", "--check"], identity).code, 0);
    }
    assert_eq!(
        secrets_of(&repo.decrypted("platform", "base", "master").stdout),
        secrets_of(&first)
    );
    // A committed node file holds placeholders and the public certificate only.
    let master = read(&out.join("platform/base/nodes/master/user-data"));
    assert!(master.contains("kforge.placeholdertoken"));
    assert!(master.contains("BEGIN CERTIFICATE") && !master.contains("PRIVATE KEY"));
    // New recipients without an identity: refused (the sealed file cannot be re-wrapped).
    let blueprint = repo.path().join("blueprints/platform.yaml");
    let text = read(&blueprint);
    let other = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    fs::write(
        &blueprint,
        text.replace("age: [age1", &format!("age: [{other}, age1")),
    )
    .unwrap();
    let run = repo.kforge(&["render"], false);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cluster-secrets.yaml` changed"),
        "{}",
        run.stderr
    );
    fs::write(&blueprint, text).unwrap();
    // Deleting the secret file alone is refused, not answered with a new CA.
    fs::remove_file(out.join("platform/base/nodes/cluster-secrets.yaml")).unwrap();
    let run = repo.kforge(&["render"], true);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("only one of"), "{}", run.stderr);
}

#[test]
fn no_plaintext_secret_of_the_cluster_reaches_out_or_any_output() {
    let repo = Repo::rendered();
    let mut outputs = String::new();
    let mut needles = Vec::new();
    for (blueprint, node) in [("platform", "master"), ("flannel-lab", "cp-1")] {
        let (token, key) = secrets_of(&repo.decrypted(blueprint, "base", node).stdout);
        let secret_part = token.split_once('.').unwrap().1.to_owned();
        needles.push(token);
        needles.push(secret_part);
        // The key's base64 body, line by line (a line is long enough to be unique).
        needles.extend(
            key.lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_owned),
        );
    }
    for identity in [true, false] {
        for args in [
            vec!["render"],
            vec!["render", "--check"],
            vec!["check"],
            vec!["nodes", "platform"],
            vec!["nodes", "platform", "--output", "json"],
            vec!["nodes", "user-data", "master", "platform"],
            vec!["nodes", "user-data", "nope", "platform", "--decrypt"],
        ] {
            let run = repo.kforge(&args, identity);
            outputs.push_str(&run.stdout);
            outputs.push_str(&run.stderr);
        }
    }
    // An error about the material names files, not contents.
    let secrets = repo
        .path()
        .join("out/platform/dev/nodes/cluster-secrets.yaml");
    let damaged = read(&secrets).replace("token: \"ENC[", "token: \"ENC[x");
    fs::write(&secrets, damaged).unwrap();
    let run = repo.kforge(&["render"], true);
    assert_eq!(run.code, 2, "{}", run.stderr);
    outputs.push_str(&run.stderr);
    // Committed: nothing of them in the history either.
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "out", "blueprints"]);
    git(&["commit", "-q", "-m", "render"]);
    outputs.push_str(&git(&["log", "-p", "--all"]));
    for needle in &needles {
        assert!(
            !outputs.contains(needle.as_str()),
            "a secret in the output or history"
        );
        for (path, bytes) in tree(&repo.path().join("out")) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(needle.as_str()),
                "a secret in {}",
                path.display()
            );
        }
    }
    assert!(needles.len() > 6);
}

/// The committed example trees: their user-data, opened with the example key, holds a token
/// and key that no committed file holds.
#[test]
fn the_committed_node_files_hold_no_plaintext_secret() {
    let key = key_file();
    let mut checked = 0;
    for env in ["base", "dev", "prod"] {
        let run = run_kforge(
            Path::new(ROOT),
            &[
                "nodes",
                "user-data",
                "master",
                "platform",
                "--env",
                env,
                "--decrypt",
            ],
            &[("SOPS_AGE_KEY_FILE", key.as_os_str())],
            None,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let (token, ca_key) = secrets_of(&run.stdout);
        for (path, bytes) in tree(&Path::new(ROOT).join("out")) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(token.as_str()),
                "the token in {}",
                path.display()
            );
            for line in ca_key.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!text.contains(line), "the CA key in {}", path.display());
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn the_node_table_names_every_node_and_what_it_runs() {
    let repo = Repo::rendered();
    let run = repo.kforge(&["nodes", "flannel-lab", "--output", "json"], false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let nodes = json["nodes"].as_array().unwrap();
    let row = |i: usize| {
        (
            nodes[i]["name"].as_str().unwrap(),
            nodes[i]["role"].as_str().unwrap(),
            nodes[i]["address"].as_str().unwrap(),
            nodes[i]["interface"].as_str().unwrap(),
        )
    };
    assert_eq!(row(0), ("cp-1", "control-plane", "10.0.0.11", ""));
    assert_eq!(row(1), ("cp-2", "control-plane", "10.0.0.12", "eth1"));
    assert_eq!(row(2), ("w-1", "worker", "10.0.0.21", ""));
    assert!(
        nodes[0]["runs"]
            .as_str()
            .unwrap()
            .contains("kubeadm init, flannel v0.27.4 (pool 10.200.0.0/16)")
    );
    assert!(
        nodes[1]["runs"]
            .as_str()
            .unwrap()
            .contains("kubeadm join (control plane) 10.0.0.100:6443")
    );
    let text = repo.kforge(&["nodes", "platform"], false);
    assert_eq!(text.code, 0);
    assert!(text.stdout.starts_with("NAME "), "{}", text.stdout);
    assert_eq!(text.stdout.lines().count(), 4);
}

#[test]
fn bad_cluster_input_is_exit_2_with_its_position() {
    let cases: [(&str, &str, &str, &str); 7] = [
        (
            "{name: master,",
            "{name: \"master;reboot\",",
            "blueprints/platform.yaml:25:",
            "invalid-name",
        ),
        (
            "{name: master,",
            "{name: \"mas ter\",",
            "blueprints/platform.yaml:25:",
            "invalid-name",
        ),
        (
            "address: 192.168.56.4,",
            "address: 192.168.56.x,",
            "blueprints/platform.yaml:26:",
            "invalid-address",
        ),
        (
            "podCIDR: 10.244.0.0/16",
            "podCIDR: 192.168.0.0/16",
            "blueprints/platform.yaml:25:",
            "network-overlap",
        ),
        (
            "address: 192.168.56.5,",
            "address: 192.168.56.4,",
            "blueprints/platform.yaml:27:",
            "duplicate-address",
        ),
        (
            "role: control-plane,",
            "role: worker,",
            "blueprints/platform.yaml:24:",
            "no-control-plane",
        ),
        (
            "interface: enp0s8}\n      - {name: worker-2",
            "interface: en/p0}\n      - {name: worker-2",
            "blueprints/platform.yaml:26:",
            "invalid-interface",
        ),
    ];
    let text = read(&Path::new(ROOT).join("blueprints/platform.yaml"));
    for (from, to, at, code) in cases {
        assert!(text.contains(from), "{from}");
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("blueprints")).unwrap();
        fs::write(
            dir.path().join("blueprints/platform.yaml"),
            text.replacen(from, to, 1),
        )
        .unwrap();
        let run = run_kforge(dir.path(), &["render"], &[], None);
        assert_eq!(run.code, 2, "{to}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("error[{code}]")),
            "{to}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(at), "{to}: {}", run.stderr);
    }
    // `cluster` without `encryption`.
    let start = text.find("  encryption:").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("blueprints")).unwrap();
    let without = format!("{}{}", &text[..start], &text[end + 1..]);
    fs::write(dir.path().join("blueprints/platform.yaml"), without).unwrap();
    let run = run_kforge(dir.path(), &["render"], &[], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[cluster-needs-encryption]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("blueprints/platform.yaml:15:3"),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------------ sandbox

/// Stub commands that record their calls (one line each in `$STUB_LOG`) and fake just
/// enough of a Debian host (a package database, held packages, loaded modules, sysctls) for
/// the script's checks; `STUB_FAIL=<command>` makes that command fail.
const STUBS: &[(&str, &str)] = &[
    (
        "apt-get",
        r#"if [[ " $* " == *" install "* ]]; then
  for arg in "$@"; do
    case $arg in -*|install) ;; *=*) echo "${arg%%=*} ${arg#*=}" | sed 's/\*$/1.1/' >>"$STATE/dpkg" ;; *) echo "$arg 1.0" >>"$STATE/dpkg" ;; esac
  done
fi"#,
    ),
    (
        "dpkg-query",
        r#"package=${!#}; format=$3
line=$(grep "^$package " "$STATE/dpkg" 2>/dev/null | tail -n1)
[[ -n $line ]] || exit 1
if [[ $format == *Status* ]]; then printf installed; else printf '%s' "${line#* }"; fi"#,
    ),
    (
        "apt-mark",
        r#"case $1 in
  hold) shift; printf '%s\n' "$@" >>"$STATE/held" ;;
  unhold) shift; for p in "$@"; do sed -i "/^$p\$/d" "$STATE/held" 2>/dev/null || true; done ;;
  showhold) sort -u "$STATE/held" 2>/dev/null || true ;;
esac"#,
    ),
    ("systemctl", ""),
    (
        "swapoff",
        r#"head -n1 "$KFORGE_BOOTSTRAP_ROOT/proc/swaps" >"$STATE/swaps" && mv "$STATE/swaps" "$KFORGE_BOOTSTRAP_ROOT/proc/swaps""#,
    ),
    (
        "modprobe",
        r#"mkdir -p "$KFORGE_BOOTSTRAP_ROOT/sys/module/$1""#,
    ),
    (
        "sysctl",
        r#"for f in net/ipv4/ip_forward net/bridge/bridge-nf-call-iptables; do mkdir -p "$(dirname "$KFORGE_BOOTSTRAP_ROOT/proc/sys/$f")"; echo 1 >"$KFORGE_BOOTSTRAP_ROOT/proc/sys/$f"; done"#,
    ),
    (
        "containerd",
        r#"echo "${STUB_CONTAINERD:-containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7}""#,
    ),
    ("curl", "echo PUBLIC-KEY"),
    (
        "gpg",
        r#"while [[ $# -gt 0 ]]; do if [[ $1 == -o ]]; then cat >"$2"; shift; fi; shift; done"#,
    ),
    (
        "kubeadm",
        r#"mkdir -p "$KFORGE_BOOTSTRAP_ROOT/etc/kubernetes"
case $1 in init) echo admin >"$KFORGE_BOOTSTRAP_ROOT/etc/kubernetes/admin.conf" ;; join) echo kubelet >"$KFORGE_BOOTSTRAP_ROOT/etc/kubernetes/kubelet.conf" ;; esac"#,
    ),
    ("kubectl", ""),
    (
        "ip",
        r#"echo "3: ${6:-eth0}    inet $STUB_ADDRESS/24 brd 192.168.56.255 scope global ${6:-eth0}""#,
    ),
];

struct Sandbox {
    dir: tempfile::TempDir,
    script: PathBuf,
}

impl Sandbox {
    /// A node's file system with the committed files of `node` in place (the token filled
    /// in as `--decrypt` would), swap on and in fstab, and nothing else done.
    fn new(repo: &Repo, node: &str, init: bool) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let nodes = repo.path().join("out/platform/base/nodes");
        let write = |path: &str, text: &str| {
            let target = root.join(path.trim_start_matches('/'));
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::write(target, text).unwrap();
        };
        let kubeadm = read(&nodes.join(node).join("kubeadm.yaml"))
            .replace("kforge.placeholdertoken", "abcdef.0123456789abcdef");
        write("/etc/kforge/kubeadm.yaml", &kubeadm);
        if init {
            write("/etc/kforge/cni.yaml", "the CNI configuration\n");
            write("/etc/kubernetes/pki/ca.crt", &read(&nodes.join("ca.crt")));
            write("/etc/kubernetes/pki/ca.key", "not a real key\n");
        }
        write("/etc/hosts", "127.0.0.1 localhost\n");
        write(
            "/etc/fstab",
            "UUID=1 / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n",
        );
        write(
            "/proc/swaps",
            "Filename Type Size Used Priority\n/swap.img file 1024 0 -2\n",
        );
        write("/proc/sys/net/ipv4/ip_forward", "0\n");
        let stubs = dir.path().join("stubs");
        fs::create_dir_all(&stubs).unwrap();
        fs::create_dir_all(dir.path().join("state")).unwrap();
        for (name, body) in STUBS {
            let path = stubs.join(name);
            fs::write(
                &path,
                format!("#!/usr/bin/env bash\necho \"{name} $*\" >>\"$STUB_LOG\"\nif [[ ${{STUB_FAIL:-}} == {name} ]]; then echo \"{name}: failed\" >&2; exit 1; fi\n{body}\n"),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let script = dir.path().join("bootstrap.sh");
        fs::copy(nodes.join(node).join("bootstrap.sh"), &script).unwrap();
        Sandbox { dir, script }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// Runs the script; returns its exit code, output, and the calls it made.
    fn run(&self, address: &str, env: &[(&str, &str)]) -> (i32, String, Vec<String>) {
        let log = self.dir.path().join("calls.log");
        let _ = fs::remove_file(&log);
        let path = format!(
            "{}:{}",
            self.dir.path().join("stubs").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg(&self.script)
            .env("PATH", path)
            .env("KFORGE_BOOTSTRAP_ROOT", self.root())
            .env("KFORGE_LOGIN_USER", "")
            .env("STUB_LOG", &log)
            .env("STATE", self.dir.path().join("state"))
            .env("STUB_ADDRESS", address)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let calls = fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| l.replace(&self.root().display().to_string(), "$ROOT"))
            .collect();
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), output, calls)
    }
}

/// The calls that change something (the questions the checks ask are left out); `curl |
/// gpg` start together, so their lines come in either order and are put in pipeline order.
fn actions(calls: &[String]) -> Vec<String> {
    let mut calls = calls.to_vec();
    for i in 1..calls.len() {
        if calls[i].starts_with("curl ") && calls[i - 1].starts_with("gpg ") {
            calls.swap(i - 1, i);
        }
    }
    calls
        .iter()
        .filter(|c| {
            !(c.starts_with("dpkg-query ")
                || c.starts_with("apt-mark showhold")
                || c.starts_with("containerd --version")
                || c.starts_with("ip "))
        })
        .cloned()
        .collect()
}

const PREPARE: &[&str] = &[
    "swapoff -a",
    "modprobe overlay",
    "modprobe br_netfilter",
    "sysctl --system",
    "apt-get update",
    "apt-get install -y containerd",
    "systemctl restart containerd",
    "systemctl enable containerd",
    "apt-get update",
    "apt-get install -y apt-transport-https ca-certificates curl gpg",
    "curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.33/deb/Release.key",
    "gpg --batch --yes --dearmor -o $ROOT/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
    "apt-get update",
    "apt-mark unhold kubelet kubeadm kubectl",
    "apt-get install -y --allow-change-held-packages kubelet=1.33.4-* kubeadm=1.33.4-* kubectl=1.33.4-*",
    "apt-mark hold kubelet kubeadm kubectl",
    "systemctl enable kubelet",
];

#[test]
fn the_control_plane_script_runs_its_steps_in_order_once() {
    let repo = Repo::rendered();
    let sandbox = Sandbox::new(&repo, "master", true);
    let (code, output, calls) = sandbox.run("192.168.56.3", &[]);
    assert_eq!(code, 0, "{output}");
    let mut expected: Vec<String> = PREPARE.iter().map(|s| (*s).to_owned()).collect();
    expected.extend([
        "kubeadm init --config $ROOT/etc/kforge/kubeadm.yaml --skip-token-print".to_owned(),
        "kubectl --kubeconfig $ROOT/etc/kubernetes/admin.conf apply --server-side --force-conflicts -f https://raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/tigera-operator.yaml".to_owned(),
        "kubectl --kubeconfig $ROOT/etc/kubernetes/admin.conf wait --for condition=established --timeout=120s crd/installations.operator.tigera.io".to_owned(),
        "kubectl --kubeconfig $ROOT/etc/kubernetes/admin.conf apply -f $ROOT/etc/kforge/cni.yaml".to_owned(),
        "kubectl --kubeconfig $ROOT/etc/kubernetes/admin.conf wait --for=condition=Ready node/master --timeout=600s".to_owned(),
    ]);
    assert_eq!(actions(&calls), expected, "{output}");
    assert!(calls.contains(&"ip -o -4 addr show dev enp0s8".to_owned()));
    let root = sandbox.root();
    // The files the steps wrote.
    let hosts = read(&root.join("etc/hosts"));
    assert!(hosts.contains("# kforge:begin lab\n192.168.56.3 master\n192.168.56.4 worker-1\n192.168.56.5 worker-2\n# kforge:end lab\n"), "{hosts}");
    assert!(read(&root.join("etc/fstab")).contains("# /swap.img none swap sw 0 0"));
    let containerd = read(&root.join("etc/containerd/config.toml"));
    assert!(containerd.starts_with("version = 3\n"), "{containerd}");
    assert!(containerd.contains("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true"), "{containerd}");
    assert!(!containerd.contains("\"cri\""));
    assert_eq!(
        read(&root.join("etc/default/kubelet")),
        "KUBELET_EXTRA_ARGS=--node-ip=192.168.56.3\n"
    );
    assert_eq!(
        read(&root.join("etc/apt/sources.list.d/kubernetes.list")),
        "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.33/deb/ /\n"
    );
    assert_eq!(read(&root.join("root/.kube/config")), "admin\n");
    for step in [
        "preflight",
        "hosts",
        "swap",
        "kernel-modules",
        "sysctl",
        "containerd",
        "kubernetes-apt-repo",
        "kubernetes-packages",
        "kubelet-node-ip",
        "kubeadm-init",
        "kubeconfig",
        "cni",
        "node-ready",
    ] {
        assert!(
            output.contains(&format!("kforge-bootstrap [{step}] running")),
            "{step}: {output}"
        );
    }

    // A second run re-does nothing that is done: only the readiness wait runs again.
    let (code, output, calls) = sandbox.run("192.168.56.3", &[]);
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        actions(&calls),
        [
            "kubectl --kubeconfig $ROOT/etc/kubernetes/admin.conf wait --for=condition=Ready node/master --timeout=600s"
        ],
        "{output}"
    );
    for step in [
        "hosts",
        "swap",
        "kernel-modules",
        "sysctl",
        "containerd",
        "kubernetes-apt-repo",
        "kubernetes-packages",
        "kubelet-node-ip",
        "kubeadm-init",
        "kubeconfig",
        "cni",
    ] {
        assert!(
            output.contains(&format!("kforge-bootstrap [{step}] already done")),
            "{step}: {output}"
        );
    }
    assert_eq!(
        read(&root.join("etc/hosts"))
            .matches("# kforge:begin lab")
            .count(),
        1
    );
}

#[test]
fn the_worker_script_joins_and_containerd_1_gets_the_version_2_layout() {
    let repo = Repo::rendered();
    let sandbox = Sandbox::new(&repo, "worker-1", false);
    let (code, output, calls) = sandbox.run(
        "192.168.56.4",
        &[("STUB_CONTAINERD", "containerd containerd.io 1.7.27 05044ec")],
    );
    assert_eq!(code, 0, "{output}");
    let mut expected: Vec<String> = PREPARE.iter().map(|s| (*s).to_owned()).collect();
    expected.extend([
        "kubeadm join --config $ROOT/etc/kforge/kubeadm.yaml".to_owned(),
        "kubectl --kubeconfig $ROOT/etc/kubernetes/kubelet.conf wait --for=condition=Ready node/worker-1 --timeout=600s".to_owned(),
    ]);
    assert_eq!(actions(&calls), expected, "{output}");
    let containerd = read(&sandbox.root().join("etc/containerd/config.toml"));
    assert!(containerd.starts_with("version = 2\n"), "{containerd}");
    assert!(containerd.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true"), "{containerd}");
    let (code, output, calls) = sandbox.run(
        "192.168.56.4",
        &[("STUB_CONTAINERD", "containerd containerd.io 1.7.27 05044ec")],
    );
    assert_eq!(code, 0, "{output}");
    assert_eq!(actions(&calls).len(), 1, "{output}");
}

#[test]
fn a_failing_step_stops_the_script_and_names_the_step() {
    let repo = Repo::rendered();
    let sandbox = Sandbox::new(&repo, "master", true);
    let (code, output, calls) = sandbox.run("192.168.56.3", &[("STUB_FAIL", "kubeadm")]);
    assert_ne!(code, 0, "{output}");
    assert!(
        output.contains("kforge-bootstrap [kubeadm-init] FAILED"),
        "{output}"
    );
    assert!(
        !calls.iter().any(|c| c.starts_with("kubectl")),
        "nothing after the failed step: {calls:?}"
    );
    // Fixed, the next run picks up at the failed step.
    let (code, output, calls) = sandbox.run("192.168.56.3", &[]);
    assert_eq!(code, 0, "{output}");
    assert!(actions(&calls)[0].starts_with("kubeadm init"), "{calls:?}");
    // A user-data without the token is refused before anything is done.
    let plain = Sandbox::new(&repo, "worker-2", false);
    fs::write(
        plain.root().join("etc/kforge/kubeadm.yaml"),
        read(
            &repo
                .path()
                .join("out/platform/base/nodes/worker-2/kubeadm.yaml"),
        ),
    )
    .unwrap();
    let (code, output, calls) = plain.run("192.168.56.5", &[]);
    assert_ne!(code, 0);
    assert!(
        output.contains("kforge-bootstrap [preflight] FAILED") && output.contains("--decrypt"),
        "{output}"
    );
    assert!(actions(&calls).is_empty(), "{calls:?}");
    // An interface that does not hold the address stops it too.
    let (code, output, _) = Sandbox::new(&repo, "worker-1", false).run("10.9.9.9", &[]);
    assert_ne!(code, 0);
    assert!(output.contains("does not hold 192.168.56.4"), "{output}");
}
