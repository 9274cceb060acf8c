//! The cluster's trust material: a CA (certificate and key) and a bootstrap token, made once
//! and kept across renders.
//!
//! The certificate is public and committed in plain text (`nodes/ca.crt`); the key, the
//! token and the certificate key (for control planes that join) are committed only inside
//! a SOPS-encrypted Secret (`nodes/cluster-secrets.yaml`). A render that finds both files
//! keeps them: with an age identity that opens the Secret it re-seals the same values (the
//! sealing step then keeps the file byte for byte); without one it keeps the encrypted file
//! as it is and takes `caCertHashes` from the public certificate. Nothing is generated
//! again unless both files are gone, since a new CA would stop every node from joining.
//!
//! Architecture invariant: pure. The caller hands in the previous files, the identities and
//! the date; randomness comes from the operating system's CSPRNG (rcgen's key generation
//! and [`rand::rngs::OsRng`]). Secret values live in zeroizing strings.

use age::x25519;
use rand::{CryptoRng, Rng, RngCore};
use sha2::{Digest, Sha256};
use yaml_rust2::{Yaml, YamlLoader};
use zeroize::Zeroizing;

use crate::secrets::sops;

/// The public CA certificate, inside a tree.
pub const CA_CERT: &str = "nodes/ca.crt";
/// The SOPS-encrypted Secret with the CA key and the tokens, inside a tree.
pub const SECRETS: &str = "nodes/cluster-secrets.yaml";
/// The token that stands in the committed files where the real one goes: well-formed, so
/// kubeadm accepts the file, and refused by `bootstrap.sh`.
pub const PLACEHOLDER_TOKEN: &str = "kforge.placeholdertoken";
/// The certificate key that stands in the committed files (64 hex digits).
pub const PLACEHOLDER_CERTIFICATE_KEY: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

const KEY_FIELD: &str = "ca.key";
const TOKEN_FIELD: &str = "token";
const CERTIFICATE_KEY_FIELD: &str = "certificateKey";

/// The public half: the CA certificate (PEM) and its `caCertHashes` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Public {
    pub ca_cert_pem: String,
    /// `sha256:` + hex SHA-256 of the certificate's SubjectPublicKeyInfo (DER).
    pub ca_cert_hash: String,
}

/// The secret half.
pub struct Secrets {
    pub ca_key_pem: Zeroizing<String>,
    /// A kubeadm bootstrap token, `[a-z0-9]{6}.[a-z0-9]{16}`.
    pub token: Zeroizing<String>,
    /// The key kubeadm encrypts uploaded control-plane certificates with (64 hex digits).
    pub certificate_key: Zeroizing<String>,
}

/// The secret half as a render holds it.
pub enum Held {
    /// In plain text (new, or opened with an identity): sealed by the render.
    Open(Secrets),
    /// The encrypted file on disk, which no identity given opened: kept as it is.
    Sealed(String),
}

/// What a render needs of the material.
pub struct Material {
    pub public: Public,
    pub secrets: Held,
}

/// `sha256:<hex>` of the SubjectPublicKeyInfo of a PEM certificate, as kubeadm's
/// `--discovery-token-ca-cert-hash` takes it.
pub fn cert_hash(pem: &str) -> Result<String, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| format!("not a PEM certificate: {e}"))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let spki = cert.tbs_certificate.subject_pki.raw;
    let digest = Sha256::digest(spki);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

/// `length` characters of `alphabet`, drawn uniformly.
fn random_text(rng: &mut (impl RngCore + CryptoRng), alphabet: &[u8], length: usize) -> String {
    (0..length)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// A fresh kubeadm bootstrap token.
pub fn new_token(rng: &mut (impl RngCore + CryptoRng)) -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    Zeroizing::new(format!(
        "{}.{}",
        random_text(rng, ALPHABET, 6),
        random_text(rng, ALPHABET, 16)
    ))
}

/// A new CA (ECDSA P-256, `CN=kubernetes`, as kubeadm makes its own; valid for ten years
/// from `today`) and new tokens.
pub fn generate(
    today: (i32, u8, u8),
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Public, Secrets), String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair,
        KeyUsagePurpose, date_time_ymd,
    };
    let failed = |e: rcgen::Error| format!("cannot make the cluster CA: {e}");
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "kubernetes");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    let (year, month, day) = today;
    params.not_before = date_time_ymd(year, month, day);
    params.not_after = date_time_ymd(year + 10, month, day.min(28));
    let cert = params.self_signed(&key).map_err(failed)?;
    let ca_cert_pem = cert.pem();
    let ca_cert_hash = cert_hash(&ca_cert_pem)?;
    let secrets = Secrets {
        ca_key_pem: Zeroizing::new(key.serialize_pem()),
        token: new_token(rng),
        certificate_key: Zeroizing::new(random_text(rng, b"0123456789abcdef", 64)),
    };
    Ok((
        Public {
            ca_cert_pem,
            ca_cert_hash,
        },
        secrets,
    ))
}

/// The plain Secret document (without header) that holds the secret half; sealed before
/// it is written.
pub fn secrets_document(cluster: &str, secrets: &Secrets) -> String {
    let mut data = serde_json::Map::new();
    data.insert(KEY_FIELD.into(), secrets.ca_key_pem.as_str().into());
    data.insert(
        CERTIFICATE_KEY_FIELD.into(),
        secrets.certificate_key.as_str().into(),
    );
    data.insert(TOKEN_FIELD.into(), secrets.token.as_str().into());
    let mut body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": format!("kforge-cluster-{cluster}")},
        "type": "Opaque",
    });
    body["stringData"] = serde_json::Value::Object(data);
    let text = crate::emit::canonical_yaml(&body);
    if let Some(map) = body.get_mut("stringData").and_then(|d| d.as_object_mut()) {
        for value in map.values_mut() {
            if let serde_json::Value::String(s) = value {
                zeroize::Zeroize::zeroize(s);
            }
        }
    }
    text
}

/// Opens the encrypted Secret with one of `identities`.
pub fn open(text: &str, identities: &[x25519::Identity]) -> Result<Secrets, sops::SopsError> {
    let not_sops = |why: &str| sops::SopsError::NotSops(why.to_owned());
    let doc = YamlLoader::load_from_str(text)
        .ok()
        .and_then(|mut docs| (docs.len() == 1).then(|| docs.remove(0)))
        .ok_or_else(|| not_sops("not one YAML document"))?;
    let opened = sops::decrypt(&doc, identities)?;
    let field = |name: &str| match &opened.plain["stringData"][name] {
        Yaml::String(s) => Ok(Zeroizing::new(s.clone())),
        _ => Err(not_sops(&format!("no `stringData.{name}`"))),
    };
    Ok(Secrets {
        ca_key_pem: field(KEY_FIELD)?,
        token: field(TOKEN_FIELD)?,
        certificate_key: field(CERTIFICATE_KEY_FIELD)?,
    })
}

/// The age recipients an encrypted Secret names (none when it is not a SOPS document).
pub fn sealed_recipients(text: &str) -> Vec<String> {
    YamlLoader::load_from_str(text)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .and_then(|doc| sops::recipients(&doc).ok())
        .unwrap_or_default()
}

/// Whether the key of `secrets` is the key of the certificate.
fn key_matches(public: &Public, secrets: &Secrets) -> Result<bool, String> {
    let key = rcgen::KeyPair::from_pem(&secrets.ca_key_pem)
        .map_err(|e| format!("the CA key does not parse: {e}"))?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(public.ca_cert_pem.as_bytes())
        .map_err(|e| format!("not a PEM certificate: {e}"))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    use rcgen::PublicKeyData;
    Ok(cert.tbs_certificate.subject_pki.raw == key.subject_public_key_info().as_slice())
}

/// What a render finds on disk and may use.
pub struct Previous<'a> {
    pub ca_cert: Option<&'a str>,
    pub secrets: Option<&'a str>,
}

/// The material of one tree: the files on disk kept (opened when an identity can), or new
/// material when neither file exists. One file without the other, a certificate that does
/// not parse, or a Secret that does not open although an identity should, are errors: the
/// caller must not replace a CA nodes may already trust.
pub fn resolve(
    previous: &Previous<'_>,
    identities: &[x25519::Identity],
    today: (i32, u8, u8),
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Material, String> {
    let remove_both = format!(
        "delete both `{CA_CERT}` and `{SECRETS}` to make a new CA (nodes that trust the old one must then be set up again)"
    );
    match (previous.ca_cert, previous.secrets) {
        (None, None) => {
            let (public, secrets) = generate(today, rng)?;
            Ok(Material {
                public,
                secrets: Held::Open(secrets),
            })
        }
        (Some(_), None) | (None, Some(_)) => Err(format!(
            "only one of `{CA_CERT}` and `{SECRETS}` exists; restore the other from Git, or {remove_both}"
        )),
        (Some(cert), Some(sealed)) => {
            let public = Public {
                ca_cert_pem: cert.to_owned(),
                ca_cert_hash: cert_hash(cert).map_err(|e| format!("`{CA_CERT}`: {e}"))?,
            };
            if identities.is_empty() {
                return Ok(Material {
                    public,
                    secrets: Held::Sealed(sealed.to_owned()),
                });
            }
            match open(sealed, identities) {
                Ok(secrets) => {
                    if !key_matches(&public, &secrets)? {
                        return Err(format!(
                            "the CA key in `{SECRETS}` is not the key of `{CA_CERT}`; restore both from Git, or {remove_both}"
                        ));
                    }
                    Ok(Material {
                        public,
                        secrets: Held::Open(secrets),
                    })
                }
                // An identity for other files of the run, not for this one: keep it.
                Err(sops::SopsError::NoMatchingIdentity(_)) => Ok(Material {
                    public,
                    secrets: Held::Sealed(sealed.to_owned()),
                }),
                Err(e) => Err(format!(
                    "`{SECRETS}` cannot be opened: {e}; restore it from Git, or {remove_both}"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(14)
    }

    #[test]
    fn a_new_ca_is_a_ca_with_a_matching_key_and_well_formed_tokens() {
        let (public, secrets) = generate((2026, 11, 30), &mut rng()).unwrap();
        assert!(
            public
                .ca_cert_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert!(
            secrets
                .ca_key_pem
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        assert!(key_matches(&public, &secrets).unwrap());
        assert_eq!(public.ca_cert_hash.len(), "sha256:".len() + 64);
        let (id, secret) = secrets.token.split_once('.').unwrap();
        assert_eq!((id.len(), secret.len()), (6, 16));
        assert!(
            secrets
                .token
                .bytes()
                .all(|b| b == b'.' || b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(secrets.certificate_key.len(), 64);
        let (_, other) = generate((2026, 11, 30), &mut rng()).unwrap();
        assert_ne!(
            *other.ca_key_pem, *secrets.ca_key_pem,
            "keys come from the OS"
        );
    }

    #[test]
    fn one_file_without_the_other_is_an_error_not_a_new_ca() {
        let (public, _) = generate((2026, 11, 30), &mut rng()).unwrap();
        let previous = Previous {
            ca_cert: Some(&public.ca_cert_pem),
            secrets: None,
        };
        let error = resolve(&previous, &[], (2026, 11, 30), &mut rng())
            .err()
            .unwrap();
        assert!(error.contains("only one of"), "{error}");
    }

    #[test]
    fn without_an_identity_the_sealed_file_is_kept_and_the_hash_comes_from_the_certificate() {
        let (public, _) = generate((2026, 11, 30), &mut rng()).unwrap();
        let previous = Previous {
            ca_cert: Some(&public.ca_cert_pem),
            secrets: Some("sealed text"),
        };
        let material = resolve(&previous, &[], (2026, 11, 30), &mut rng()).unwrap();
        assert_eq!(material.public, public);
        assert!(matches!(material.secrets, Held::Sealed(ref s) if s == "sealed text"));
    }

    #[test]
    fn the_secret_document_round_trips_through_sops() {
        let (public, secrets) = generate((2026, 11, 30), &mut rng()).unwrap();
        let identity = x25519::Identity::generate();
        let plain = YamlLoader::load_from_str(&secrets_document("lab", &secrets)).unwrap();
        let sealed = sops::encrypt(
            &plain[0],
            &[identity.to_public()],
            "2026-11-30T00:00:00Z",
            &mut rng(),
        )
        .unwrap();
        let text = crate::emit::to_text(&sealed);
        assert!(!text.contains(secrets.token.as_str()));
        let previous = Previous {
            ca_cert: Some(&public.ca_cert_pem),
            secrets: Some(&text),
        };
        let material = resolve(&previous, &[identity], (2026, 11, 30), &mut rng()).unwrap();
        let Held::Open(opened) = material.secrets else {
            panic!("opened expected");
        };
        assert_eq!(*opened.token, *secrets.token);
        assert_eq!(*opened.ca_key_pem, *secrets.ca_key_pem);
        let stranger = x25519::Identity::generate();
        let kept = resolve(&previous, &[stranger], (2026, 11, 30), &mut rng()).unwrap();
        assert!(matches!(kept.secrets, Held::Sealed(_)));
    }
}
