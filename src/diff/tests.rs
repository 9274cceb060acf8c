use super::*;
use crate::model::artifact::Mode;
use age::x25519;
use rand::SeedableRng;
use yaml_rust2::YamlLoader;

fn secret_text(password: &str, extra: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(password);
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\ndata:\n  password: {encoded}\n{extra}type: Opaque\n"
    )
}

fn sealed(plain: &str, recipient: &x25519::Recipient, seed: u64) -> String {
    let doc = YamlLoader::load_from_str(plain).unwrap().remove(0);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let encrypted = crate::secrets::sops::encrypt(
        &doc,
        std::slice::from_ref(recipient),
        "2026-01-01T00:00:00Z",
        &mut rng,
    )
    .unwrap();
    crate::emit::to_text(&encrypted)
}

fn tree(files: &[(&str, ArtifactKind, &str)]) -> ArtifactTree {
    let mut tree = ArtifactTree::new();
    for (path, kind, text) in files {
        tree.insert((*path).to_owned(), Artifact::new(*kind, *text))
            .unwrap();
    }
    tree
}

fn compare_one(before: &ArtifactTree, after: &ArtifactTree, ids: &[x25519::Identity]) -> Diff {
    let side = |tree| {
        [Tree {
            blueprint: "shop",
            env: "base",
            tree,
        }]
    };
    compare(&side(before), &side(after), ids, ("base", "head"))
}

const PATH: &str = "shop/secret-db.yaml";

#[test]
fn a_re_encrypted_secret_with_the_same_values_is_no_change() {
    let identity = x25519::Identity::generate();
    let plain = secret_text("hunter2-long", "");
    let a = tree(&[(
        PATH,
        ArtifactKind::Secret,
        &sealed(&plain, &identity.to_public(), 1),
    )]);
    let b = tree(&[(
        PATH,
        ArtifactKind::Secret,
        &sealed(&plain, &identity.to_public(), 2),
    )]);
    assert_ne!(a, b, "the ciphertext differs");
    assert!(compare_one(&a, &b, std::slice::from_ref(&identity)).is_empty());
    // Without an identity the values cannot be compared: no change, and a note says so.
    let diff = compare_one(&a, &b, &[]);
    assert!(diff.is_empty());
    assert_eq!(diff.notes.len(), 1);
    assert!(diff.notes[0].contains("Secret shop/db: Secret values not compared"));
}

#[test]
fn an_identity_tells_a_changed_value_and_only_its_key_is_shown() {
    let identity = x25519::Identity::generate();
    let recipient = identity.to_public();
    let a = tree(&[(
        PATH,
        ArtifactKind::Secret,
        &sealed(&secret_text("old-value-123", ""), &recipient, 1),
    )]);
    let b = tree(&[(
        PATH,
        ArtifactKind::Secret,
        &sealed(&secret_text("new-value-456", ""), &recipient, 2),
    )]);
    let diff = compare_one(&a, &b, std::slice::from_ref(&identity));
    let change = &diff.environments[0].changes[0];
    assert_eq!(change.action, Action::Change);
    assert_eq!(change.secret.as_ref().unwrap().changed, ["password"]);
    assert_eq!(change.diff, "");
    let printed = [
        text::render(&diff, false),
        markdown::render(&diff),
        json::render(&diff),
    ]
    .concat();
    for value in ["old-value-123", "new-value-456", "b2xkLXZhbHVlLTEyMw=="] {
        assert!(!printed.contains(value));
    }
    // Without the identity the same files are no change (values unknown) ...
    assert!(compare_one(&a, &b, &[]).is_empty());
    // ... but a key added is, by its name.
    let c = tree(&[(
        PATH,
        ArtifactKind::Secret,
        &sealed(
            &secret_text("new-value-456", "  token: dG9rZW4=\n"),
            &recipient,
            3,
        ),
    )]);
    let diff = compare_one(&a, &c, &[]);
    let change = &diff.environments[0].changes[0];
    assert_eq!(change.secret.as_ref().unwrap().added, ["token"]);
    assert!(change.secret.as_ref().unwrap().changed.is_empty());
}

#[test]
fn plain_secrets_are_compared_by_value() {
    let a = tree(&[(PATH, ArtifactKind::Secret, &secret_text("first-value", ""))]);
    let b = tree(&[(PATH, ArtifactKind::Secret, &secret_text("second-value", ""))]);
    let diff = compare_one(&a, &b, &[]);
    let change = &diff.environments[0].changes[0];
    assert_eq!(change.secret.as_ref().unwrap().changed, ["password"]);
    assert!(diff.notes.is_empty());
}

#[test]
fn a_secret_value_in_another_file_is_masked() {
    let secret = secret_text("s3cr3t-t0ken-value", "");
    let script =
        |extra: &str| format!("#!/bin/sh\nkubeadm join --token s3cr3t-t0ken-value{extra}\n");
    let a = tree(&[
        (PATH, ArtifactKind::Secret, &secret),
        ("nodes/n1/join.sh", ArtifactKind::Script, &script("")),
    ]);
    let b = tree(&[
        (PATH, ArtifactKind::Secret, &secret),
        ("nodes/n1/join.sh", ArtifactKind::Script, &script(" --v=5")),
    ]);
    let diff = compare_one(&a, &b, &[]);
    let change = &diff.environments[0].changes[0];
    assert!(
        !change.diff.contains("s3cr3t-t0ken-value"),
        "{}",
        change.diff
    );
    assert!(change.diff.contains("--token ***"), "{}", change.diff);
}

#[test]
fn objects_match_by_identity_whatever_their_api_version_and_header() {
    let v1 = "# a\napiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  maxReplicas: 3\n";
    let v2 = "# b\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  maxReplicas: 4\n";
    let header_only = v1.replace("# a", "# c");
    let a = tree(&[("shop/hpa.yaml", ArtifactKind::Manifest, v1)]);
    let b = tree(&[("shop/hpa-v2.yaml", ArtifactKind::Manifest, v2)]);
    let diff = compare_one(&a, &b, &[]);
    let changes = &diff.environments[0].changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].action, Action::Change);
    assert_eq!(changes[0].fields, ["apiVersion", "spec.maxReplicas"]);
    let c = tree(&[("shop/hpa.yaml", ArtifactKind::Manifest, &header_only)]);
    assert!(
        compare_one(&a, &c, &[]).is_empty(),
        "a comment is no change"
    );
}

#[test]
fn a_mode_change_is_a_change_and_an_environment_on_one_side_is_added_whole() {
    let a = tree(&[("nodes/n1/run.sh", ArtifactKind::Script, "#!/bin/sh\n")]);
    let mut b = a.clone();
    b.get_mut("nodes/n1/run.sh").unwrap().mode = Mode::Executable;
    let diff = compare_one(&a, &b, &[]);
    assert_eq!(diff.environments[0].changes[0].fields, ["mode 644 -> 755"]);
    let prod = [Tree {
        blueprint: "shop",
        env: "prod",
        tree: &a,
    }];
    let diff = compare(&[], &prod, &[], ("base", "head"));
    assert_eq!(diff.counts().add, 1);
    assert_eq!(diff.environments[0].label(), "shop/prod");
}

#[test]
fn field_paths_name_what_differs() {
    let a = serde_json::json!({"spec": {"ports": [{"port": 80}], "list": [1, 2], "gone": 1}});
    let b = serde_json::json!({"spec": {"ports": [{"port": 81}], "list": [1], "new/key": 2}});
    let mut out = Vec::new();
    field_changes(&a, &b, &mut String::new(), &mut out);
    assert_eq!(
        out,
        [
            "spec.gone",
            "spec.list",
            "spec[\"new/key\"]",
            "spec.ports[0].port"
        ]
    );
}

#[test]
fn markdown_cuts_the_largest_diffs_to_fit() {
    let big: String = (0..9000).map(|i| format!("line {i}\n")).collect();
    let small = "a: 1\n";
    let a = tree(&[
        ("big.txt", ArtifactKind::Script, ""),
        ("small.txt", ArtifactKind::Script, ""),
    ]);
    let b = tree(&[
        ("big.txt", ArtifactKind::Script, &big),
        ("small.txt", ArtifactKind::Script, small),
    ]);
    let diff = compare_one(&a, &b, &[]);
    let comment = markdown::render(&diff);
    assert!(comment.chars().count() <= markdown::LIMIT);
    assert!(comment.contains("+a: 1\n"), "the small diff is whole");
    assert!(comment.contains("diff cut to fit the comment"));
    assert!(comment.contains("1 of the largest diffs were cut"));
}

#[test]
fn a_live_diff_prints_in_sync_counts_managers_and_kinds_not_served() {
    let before = tree(&[(
        "web/configmap-a.yaml",
        ArtifactKind::Manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: web\ndata:\n  k: live\n",
    )]);
    let after = tree(&[(
        "web/configmap-a.yaml",
        ArtifactKind::Manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: web\ndata:\n  k: rendered\n",
    )]);
    let mut diff = compare_one(&before, &after, &[]);
    diff.environments[0].changes[0]
        .managers
        .insert("data.k".into(), "kubectl-edit".into());
    diff.live = Some(Live {
        in_sync: BTreeMap::from([("shop/base".to_owned(), 7)]),
        not_served: BTreeMap::from([(
            "shop/base".to_owned(),
            vec!["NetworkPolicy web/x (projectcalico.org/v3)".to_owned()],
        )]),
    });
    let text = text::render(&diff, false);
    assert!(
        text.contains("    last set by another manager: data.k by kubectl-edit\n"),
        "{text}"
    );
    assert!(text.contains("\nshop/base: 7 objects in sync\n"), "{text}");
    assert!(
        text.contains("NetworkPolicy web/x (projectcalico.org/v3): the cluster does not serve")
    );
    let json = json::value(&diff);
    assert_eq!(
        json["environments"][0]["changes"][0]["managers"]["data.k"],
        "kubectl-edit"
    );
    assert_eq!(json["live"]["inSync"]["shop/base"], 7);
    assert!(markdown::render(&diff).contains("data.k by kubectl-edit"));

    // Nothing to change, but a kind not served: still a difference, and said so.
    let mut only = compare_one(&before, &before, &[]);
    only.live = diff.live.clone();
    assert!(only.is_empty() && only.different());
    assert!(text::render(&only, false).starts_with("Nothing to add, change or remove"));
    assert_eq!(json::value(&only)["different"], true);
    // A diff of two versions has no live part.
    assert!(!compare_one(&before, &before, &[]).different());
    assert!(
        json::value(&compare_one(&before, &after, &[]))
            .get("live")
            .is_none()
    );
}
