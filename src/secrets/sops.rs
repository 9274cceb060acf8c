//! The SOPS v3 document format for YAML, age recipients only: encrypt a plain document,
//! open one (written by kforge or by `sops -e`) and verify its MAC, re-wrap its data key.
//!
//! The format, as stock `sops` reads and writes it: a random 32-byte data key; every value
//! under a key matching `encrypted_regex` becomes
//! `ENC[AES256_GCM,data:<b64>,iv:<b64 of 32 bytes>,tag:<b64>,type:str|int|float|bool]`,
//! AES-256-GCM with the value's key path joined by `:` plus a trailing `:` as additional
//! data; empty strings stay empty. The MAC is the upper-case hex SHA-512 of every
//! non-comment value in document order (plain text, encrypted or not), encrypted with the
//! data key and `lastmodified` as additional data. The data key is wrapped for each
//! recipient as an armored age file under `sops.age[]`.
//!
//! Architecture invariant: pure functions of their inputs (randomness is passed in); the
//! data key and every decrypted value live in zeroizing containers.

use std::io::{Read, Write};

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};
use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::x25519;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use yaml_rust2::Yaml;
use yaml_rust2::yaml::Hash;
use zeroize::{Zeroize, Zeroizing};

/// The keys whose values kforge encrypts: a Secret's `data` and `stringData`.
pub const ENCRYPTED_REGEX: &str = "^(data|stringData)$";
/// The SOPS version written into the metadata (the version the interop tests run).
pub const SOPS_VERSION: &str = "3.11.0";
/// The top-level key of the metadata block.
pub const METADATA_KEY: &str = "sops";

/// AES-256-GCM with SOPS's 32-byte nonces.
type Cipher = AesGcm<Aes256, U32>;
const NONCE_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// Why a document could not be encrypted or opened. Messages never contain a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SopsError {
    #[error("not a SOPS document: {0}")]
    NotSops(String),
    #[error("no age identity given can open the data key (recipients: {0})")]
    NoMatchingIdentity(String),
    #[error("MAC mismatch: the file was changed after it was encrypted")]
    MacMismatch,
    #[error("a value at `{0}` cannot be decrypted")]
    BadValue(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("age: {0}")]
    Age(String),
}

/// The 32-byte data key of one document.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn random(rng: &mut (impl RngCore + CryptoRng)) -> DataKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        DataKey(key)
    }

    fn cipher(&self) -> Cipher {
        Cipher::new(self.0.as_ref().into())
    }
}

/// A decrypted document: its plain content, its data key and the recipients it names.
pub struct Opened {
    /// The document without the `sops` block, every value in plain text.
    pub plain: Yaml,
    pub data_key: DataKey,
    pub recipients: Vec<String>,
}

impl Drop for Opened {
    fn drop(&mut self) {
        zeroize_yaml(&mut self.plain);
    }
}

/// Overwrites every string of a YAML tree (keys stay; they are not secret).
pub fn zeroize_yaml(value: &mut Yaml) {
    match value {
        Yaml::String(s) | Yaml::Real(s) => s.zeroize(),
        Yaml::Array(items) => items.iter_mut().for_each(zeroize_yaml),
        Yaml::Hash(map) => map.iter_mut().for_each(|(_, v)| zeroize_yaml(v)),
        _ => {}
    }
}

/// Which leaves a document encrypts, as its metadata says.
#[derive(Debug, Clone, Default)]
struct Policy {
    encrypted_regex: Option<regex::Regex>,
    unencrypted_regex: Option<regex::Regex>,
    encrypted_suffix: Option<String>,
    unencrypted_suffix: Option<String>,
}

impl Policy {
    fn kforge() -> Policy {
        Policy {
            encrypted_regex: regex::Regex::new(ENCRYPTED_REGEX).ok(),
            ..Policy::default()
        }
    }

    /// sops' `shouldBeEncrypted`, without the comment rules kforge refuses.
    fn encrypts(&self, path: &[String]) -> bool {
        let mut encrypted = true;
        if let Some(suffix) = &self.unencrypted_suffix
            && path.iter().any(|p| p.ends_with(suffix.as_str()))
        {
            encrypted = false;
        }
        if let Some(suffix) = &self.encrypted_suffix {
            encrypted = path.iter().any(|p| p.ends_with(suffix.as_str()));
        }
        if let Some(re) = &self.unencrypted_regex
            && path.iter().any(|p| re.is_match(p))
        {
            encrypted = false;
        }
        if let Some(re) = &self.encrypted_regex {
            encrypted = path.iter().any(|p| re.is_match(p));
        }
        encrypted
    }
}

/// The bytes a value contributes to the MAC (sops' `ToBytes`).
fn mac_bytes(value: &Yaml, path: &[String]) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    let bytes = match value {
        Yaml::String(s) => s.as_bytes().to_vec(),
        Yaml::Integer(i) => i.to_string().into_bytes(),
        Yaml::Real(r) => go_float(r)
            .ok_or_else(|| SopsError::BadValue(path.join(".")))?
            .into_bytes(),
        Yaml::Boolean(b) => if *b { "True" } else { "False" }.as_bytes().to_vec(),
        _ => {
            return Err(SopsError::Unsupported(format!(
                "the value at `{}` is null or not a scalar",
                path.join(".")
            )));
        }
    };
    Ok(Zeroizing::new(bytes))
}

/// A float the way Go's `strconv.FormatFloat(f, 'f', -1, 64)` prints it.
fn go_float(text: &str) -> Option<String> {
    let f: f64 = text.parse().ok()?;
    f.is_finite().then(|| format!("{f}"))
}

fn encrypt_value(
    key: &DataKey,
    value: &Yaml,
    aad: &str,
    rng: &mut (impl RngCore + CryptoRng),
    path: &[String],
) -> Result<Yaml, SopsError> {
    let (plain, kind): (Zeroizing<Vec<u8>>, &str) = match value {
        Yaml::String(s) if s.is_empty() => return Ok(Yaml::String(String::new())),
        Yaml::String(_) => (mac_bytes(value, path)?, "str"),
        Yaml::Integer(_) => (mac_bytes(value, path)?, "int"),
        Yaml::Real(_) => (mac_bytes(value, path)?, "float"),
        Yaml::Boolean(_) => (mac_bytes(value, path)?, "bool"),
        _ => {
            return Err(SopsError::Unsupported(format!(
                "the value at `{}`",
                path.join(".")
            )));
        }
    };
    Ok(Yaml::String(seal_bytes(key, &plain, aad, kind, rng)?))
}

/// `ENC[AES256_GCM,...]` of some bytes.
fn seal_bytes(
    key: &DataKey,
    plain: &[u8],
    aad: &str,
    kind: &str,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<String, SopsError> {
    let mut iv = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut iv);
    let sealed = key
        .cipher()
        .encrypt(
            Nonce::<U32>::from_slice(&iv),
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| SopsError::Unsupported("AES-GCM refused the value".into()))?;
    let (data, tag) = sealed.split_at(sealed.len().saturating_sub(TAG_LEN));
    Ok(format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{kind}]",
        STANDARD.encode(data),
        STANDARD.encode(iv),
        STANDARD.encode(tag)
    ))
}

/// Decrypts one `ENC[...]` value; returns the plain bytes and the type name.
fn open_bytes(key: &DataKey, text: &str, aad: &str) -> Option<(Zeroizing<Vec<u8>>, String)> {
    let inner = text.strip_prefix("ENC[AES256_GCM,")?.strip_suffix(']')?;
    let mut parts = inner.split(',');
    let mut field = |name: &str| parts.next()?.strip_prefix(name).map(str::to_owned);
    let data = STANDARD.decode(field("data:")?).ok()?;
    let iv = STANDARD.decode(field("iv:")?).ok()?;
    let tag = STANDARD.decode(field("tag:")?).ok()?;
    let kind = field("type:")?;
    if iv.len() != NONCE_LEN || tag.len() != TAG_LEN {
        return None;
    }
    let mut sealed = data;
    sealed.extend_from_slice(&tag);
    let plain = key
        .cipher()
        .decrypt(
            Nonce::<U32>::from_slice(&iv),
            Payload {
                msg: &sealed,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    Some((Zeroizing::new(plain), kind))
}

fn decrypt_value(
    key: &DataKey,
    value: &Yaml,
    aad: &str,
    path: &[String],
) -> Result<Yaml, SopsError> {
    let bad = || SopsError::BadValue(path.join("."));
    let Yaml::String(text) = value else {
        return Err(bad());
    };
    if text.is_empty() {
        return Ok(Yaml::String(String::new()));
    }
    let (plain, kind) = open_bytes(key, text, aad).ok_or_else(bad)?;
    let text = std::str::from_utf8(&plain).map_err(|_| bad())?;
    Ok(match kind.as_str() {
        "str" => Yaml::String(text.to_owned()),
        "int" | "int64" => Yaml::Integer(text.parse().map_err(|_| bad())?),
        "float" => Yaml::Real(text.to_owned()),
        "bool" => Yaml::Boolean(match text {
            "1" | "t" | "T" | "true" | "True" | "TRUE" => true,
            "0" | "f" | "F" | "false" | "False" | "FALSE" => false,
            _ => return Err(bad()),
        }),
        other => return Err(SopsError::Unsupported(format!("value type `{other}`"))),
    })
}

/// What [`walk`] does with a leaf: given its value and key path, returns its replacement.
type Leaf<'a> = dyn FnMut(&Yaml, &[String]) -> Result<Yaml, SopsError> + 'a;

/// Walks every leaf of a document in order, calling `leaf(value, path)`, which returns the
/// replacement. Lists do not add to the path (as in sops).
fn walk(value: &Yaml, path: &mut Vec<String>, leaf: &mut Leaf<'_>) -> Result<Yaml, SopsError> {
    match value {
        Yaml::Hash(map) => {
            let mut out = Hash::new();
            for (k, v) in map {
                let Some(key) = k.as_str() else {
                    return Err(SopsError::Unsupported(
                        "a mapping key that is not a string".into(),
                    ));
                };
                path.push(key.to_owned());
                let replaced = walk(v, path, leaf);
                path.pop();
                out.insert(k.clone(), replaced?);
            }
            Ok(Yaml::Hash(out))
        }
        Yaml::Array(items) => items
            .iter()
            .map(|item| walk(item, path, leaf))
            .collect::<Result<Vec<_>, _>>()
            .map(Yaml::Array),
        other => leaf(other, path),
    }
}

fn aad(path: &[String]) -> String {
    let mut text = path.join(":");
    text.push(':');
    text
}

fn mac_hex(hasher: Sha512) -> Zeroizing<String> {
    Zeroizing::new(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
    )
}

/// Wraps the data key for every recipient as an armored age file.
fn wrap_key(key: &DataKey, recipient: &x25519::Recipient) -> Result<String, SopsError> {
    let age_error = |e: &dyn std::fmt::Display| SopsError::Age(e.to_string());
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .map_err(|e| age_error(&e))?;
    let mut armored = Vec::new();
    let armor =
        ArmoredWriter::wrap_output(&mut armored, Format::AsciiArmor).map_err(|e| age_error(&e))?;
    let mut writer = encryptor.wrap_output(armor).map_err(|e| age_error(&e))?;
    writer
        .write_all(key.0.as_ref())
        .map_err(|e| age_error(&e))?;
    writer
        .finish()
        .and_then(ArmoredWriter::finish)
        .map_err(|e| age_error(&e))?;
    String::from_utf8(armored).map_err(|e| age_error(&e))
}

fn unwrap_key(armored: &str, identities: &[x25519::Identity]) -> Option<DataKey> {
    let decryptor = age::Decryptor::new(ArmoredReader::new(armored.as_bytes())).ok()?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .ok()?;
    let mut plain = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plain).ok()?;
    let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
    Some(DataKey(Zeroizing::new(bytes)))
}

fn text(s: &str) -> Yaml {
    Yaml::String(s.to_owned())
}

fn age_entries(key: &DataKey, recipients: &[x25519::Recipient]) -> Result<Yaml, SopsError> {
    let mut entries = Vec::new();
    for recipient in recipients {
        let mut entry = Hash::new();
        entry.insert(text("recipient"), text(&recipient.to_string()));
        entry.insert(text("enc"), text(&wrap_key(key, recipient)?));
        entries.push(Yaml::Hash(entry));
    }
    Ok(Yaml::Array(entries))
}

/// Encrypts a plain document (a mapping) for `recipients`: `data`/`stringData` values
/// become `ENC[...]`, and the `sops` block is appended in the order sops writes it.
pub fn encrypt(
    plain: &Yaml,
    recipients: &[x25519::Recipient],
    lastmodified: &str,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Yaml, SopsError> {
    if recipients.is_empty() {
        return Err(SopsError::Unsupported("no recipients".into()));
    }
    let Yaml::Hash(top) = plain else {
        return Err(SopsError::Unsupported(
            "the document is not a mapping".into(),
        ));
    };
    if top.contains_key(&text(METADATA_KEY)) {
        return Err(SopsError::Unsupported(
            "the document is already encrypted".into(),
        ));
    }
    let key = DataKey::random(rng);
    let policy = Policy::kforge();
    let mut hasher = Sha512::new();
    let encrypted = walk(plain, &mut Vec::new(), &mut |value, path| {
        hasher.update(mac_bytes(value, path)?.as_slice());
        if policy.encrypts(path) {
            encrypt_value(&key, value, &aad(path), rng, path)
        } else {
            Ok(value.clone())
        }
    })?;
    let mac = mac_hex(hasher);
    let mut metadata = Hash::new();
    metadata.insert(text("age"), age_entries(&key, recipients)?);
    metadata.insert(text("lastmodified"), text(lastmodified));
    metadata.insert(
        text("mac"),
        text(&seal_bytes(&key, mac.as_bytes(), lastmodified, "str", rng)?),
    );
    metadata.insert(text("encrypted_regex"), text(ENCRYPTED_REGEX));
    metadata.insert(text("version"), text(SOPS_VERSION));
    let Yaml::Hash(mut out) = encrypted else {
        return Err(SopsError::Unsupported(
            "the document is not a mapping".into(),
        ));
    };
    out.insert(text(METADATA_KEY), Yaml::Hash(metadata));
    Ok(Yaml::Hash(out))
}

fn metadata(doc: &Yaml) -> Result<&Hash, SopsError> {
    match doc {
        Yaml::Hash(top) => match top.get(&text(METADATA_KEY)) {
            Some(Yaml::Hash(m)) => Ok(m),
            _ => Err(SopsError::NotSops("no `sops` block".into())),
        },
        _ => Err(SopsError::NotSops("not a mapping".into())),
    }
}

fn field<'a>(metadata: &'a Hash, name: &str) -> Option<&'a str> {
    metadata.get(&text(name)).and_then(Yaml::as_str)
}

/// The age recipients a SOPS document is encrypted for, readable without any identity.
pub fn recipients(doc: &Yaml) -> Result<Vec<String>, SopsError> {
    let metadata = metadata(doc)?;
    Ok(age_stanzas(metadata)
        .into_iter()
        .map(|(recipient, _)| recipient.to_owned())
        .collect())
}

fn age_stanzas(metadata: &Hash) -> Vec<(&str, &str)> {
    let entries = match metadata.get(&text("age")) {
        Some(Yaml::Array(entries)) => entries.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    entries
        .into_iter()
        .filter_map(|e| Some((e["recipient"].as_str()?, e["enc"].as_str()?)))
        .collect()
}

fn policy_of(metadata: &Hash) -> Result<Policy, SopsError> {
    for refused in [
        "mac_only_encrypted",
        "encrypted_comment_regex",
        "unencrypted_comment_regex",
        "shamir_threshold",
        "key_groups",
    ] {
        if metadata.contains_key(&text(refused)) {
            return Err(SopsError::Unsupported(format!("`sops.{refused}`")));
        }
    }
    let regex = |name: &str| -> Result<Option<regex::Regex>, SopsError> {
        field(metadata, name)
            .filter(|r| !r.is_empty())
            .map(|r| {
                regex::Regex::new(r)
                    .map_err(|_| SopsError::Unsupported(format!("the regex of `sops.{name}`")))
            })
            .transpose()
    };
    let suffix = |name: &str| {
        field(metadata, name)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(Policy {
        encrypted_regex: regex("encrypted_regex")?,
        unencrypted_regex: regex("unencrypted_regex")?,
        encrypted_suffix: suffix("encrypted_suffix"),
        unencrypted_suffix: suffix("unencrypted_suffix"),
    })
}

/// The document without its `sops` block.
fn content(doc: &Yaml) -> Yaml {
    match doc {
        Yaml::Hash(top) => {
            let mut out = top.clone();
            out.remove(&text(METADATA_KEY));
            Yaml::Hash(out)
        }
        other => other.clone(),
    }
}

/// Opens a SOPS document with one of `identities` and verifies its MAC.
pub fn decrypt(doc: &Yaml, identities: &[x25519::Identity]) -> Result<Opened, SopsError> {
    let metadata = metadata(doc)?;
    let policy = policy_of(metadata)?;
    let stanzas = age_stanzas(metadata);
    let recipients: Vec<String> = stanzas.iter().map(|(r, _)| (*r).to_owned()).collect();
    let data_key = stanzas
        .iter()
        .find_map(|(_, enc)| unwrap_key(enc, identities))
        .ok_or_else(|| SopsError::NoMatchingIdentity(recipients.join(", ")))?;
    let mut hasher = Sha512::new();
    let mut plain = walk(&content(doc), &mut Vec::new(), &mut |value, path| {
        let value = if policy.encrypts(path) {
            decrypt_value(&data_key, value, &aad(path), path)?
        } else {
            value.clone()
        };
        hasher.update(mac_bytes(&value, path)?.as_slice());
        Ok(value)
    })?;
    let computed = mac_hex(hasher);
    let lastmodified = field(metadata, "lastmodified").unwrap_or_default();
    let stored = field(metadata, "mac")
        .and_then(|mac| open_bytes(&data_key, mac, lastmodified))
        .map(|(bytes, _)| bytes);
    if stored.as_deref().map(Vec::as_slice) != Some(computed.as_bytes()) {
        zeroize_yaml(&mut plain);
        return Err(SopsError::MacMismatch);
    }
    Ok(Opened {
        plain,
        data_key,
        recipients,
    })
}

/// The same document with its data key wrapped for `recipients` instead; values, MAC and
/// `lastmodified` stay as they are (what `sops updatekeys` does).
pub fn rewrap(
    doc: &Yaml,
    key: &DataKey,
    recipients: &[x25519::Recipient],
) -> Result<Yaml, SopsError> {
    let Yaml::Hash(top) = doc else {
        return Err(SopsError::NotSops("not a mapping".into()));
    };
    let mut metadata = metadata(doc)?.clone();
    metadata.insert(text("age"), age_entries(key, recipients)?);
    let mut out = top.clone();
    out.insert(text(METADATA_KEY), Yaml::Hash(metadata));
    Ok(Yaml::Hash(out))
}

/// Whether an encrypted document has the same structure as a plain one: the same keys in
/// the same places, equal values where nothing is encrypted, and an encrypted value (or an
/// empty one, as sops leaves those) wherever the plain document has one. What can be
/// compared without an identity.
pub fn same_shape(doc: &Yaml, plain: &Yaml) -> bool {
    let Ok(policy) = metadata(doc).and_then(policy_of) else {
        return false;
    };
    shape(&content(doc), plain, &policy, &mut Vec::new())
}

fn shape(encrypted: &Yaml, plain: &Yaml, policy: &Policy, path: &mut Vec<String>) -> bool {
    match (encrypted, plain) {
        (Yaml::Hash(a), Yaml::Hash(b)) => {
            a.len() == b.len()
                && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| {
                    ka == kb
                        && ka.as_str().is_some_and(|k| {
                            path.push(k.to_owned());
                            let same = shape(va, vb, policy, path);
                            path.pop();
                            same
                        })
                })
        }
        (Yaml::Array(a), Yaml::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| shape(x, y, policy, path))
        }
        (Yaml::String(e), p) if policy.encrypts(path) => {
            if e.is_empty() {
                p.as_str() == Some("")
            } else {
                e.starts_with("ENC[AES256_GCM,") && p.as_str() != Some("")
            }
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use yaml_rust2::YamlLoader;

    fn doc(text: &str) -> Yaml {
        YamlLoader::load_from_str(text).unwrap().remove(0)
    }

    fn keypair() -> (x25519::Identity, x25519::Recipient) {
        let identity = x25519::Identity::generate();
        let recipient = identity.to_public();
        (identity, recipient)
    }

    const PLAIN: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVyMg==\n  empty: \"\"\ntype: Opaque\n";

    #[test]
    fn encrypts_only_data_and_opens_again() {
        let (identity, recipient) = keypair();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let plain = doc(PLAIN);
        let sealed = encrypt(
            &plain,
            std::slice::from_ref(&recipient),
            "2026-01-01T00:00:00Z",
            &mut rng,
        )
        .unwrap();
        let password = sealed["data"]["password"].as_str().unwrap();
        assert!(password.starts_with("ENC[AES256_GCM,data:"), "{password}");
        assert!(password.ends_with(",type:str]"));
        assert_eq!(sealed["data"]["empty"].as_str(), Some(""));
        assert_eq!(sealed["metadata"]["name"].as_str(), Some("db"));
        assert_eq!(
            sealed["sops"]["encrypted_regex"].as_str(),
            Some(ENCRYPTED_REGEX)
        );
        assert_eq!(recipients(&sealed).unwrap(), vec![recipient.to_string()]);
        assert!(same_shape(&sealed, &plain));
        let opened = decrypt(&sealed, &[identity]).unwrap();
        assert_eq!(opened.plain, plain);
    }

    #[test]
    fn a_changed_byte_fails_the_mac_or_the_value() {
        let (identity, recipient) = keypair();
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let sealed = encrypt(&doc(PLAIN), &[recipient], "2026-01-01T00:00:00Z", &mut rng).unwrap();
        let Yaml::Hash(mut top) = sealed else {
            panic!()
        };
        top.insert(text("type"), text("kubernetes.io/tls"));
        assert!(matches!(
            decrypt(&Yaml::Hash(top), std::slice::from_ref(&identity)),
            Err(SopsError::MacMismatch)
        ));
    }

    #[test]
    fn the_wrong_identity_cannot_open_it() {
        let (_, recipient) = keypair();
        let (stranger, _) = keypair();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let sealed = encrypt(&doc(PLAIN), &[recipient], "2026-01-01T00:00:00Z", &mut rng).unwrap();
        assert!(matches!(
            decrypt(&sealed, &[stranger]),
            Err(SopsError::NoMatchingIdentity(_))
        ));
    }

    #[test]
    fn rewrapping_keeps_the_values_and_changes_who_can_read() {
        let (old, old_recipient) = keypair();
        let (new, new_recipient) = keypair();
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let sealed = encrypt(
            &doc(PLAIN),
            &[old_recipient],
            "2026-01-01T00:00:00Z",
            &mut rng,
        )
        .unwrap();
        let opened = decrypt(&sealed, std::slice::from_ref(&old)).unwrap();
        let moved = rewrap(&sealed, &opened.data_key, &[new_recipient]).unwrap();
        assert_eq!(moved["data"], sealed["data"]);
        assert_eq!(decrypt(&moved, &[new]).unwrap().plain, doc(PLAIN));
        assert!(decrypt(&moved, &[old]).is_err());
    }

    #[test]
    fn shape_sees_keys_and_plain_fields_but_not_values() {
        let (_, recipient) = keypair();
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let sealed = encrypt(&doc(PLAIN), &[recipient], "2026-01-01T00:00:00Z", &mut rng).unwrap();
        assert!(same_shape(
            &sealed,
            &doc(&PLAIN.replace("aHVudGVyMg==", "b3RoZXI="))
        ));
        assert!(!same_shape(
            &sealed,
            &doc(&PLAIN.replace("password", "passwd"))
        ));
        assert!(!same_shape(
            &sealed,
            &doc(&PLAIN.replace("Opaque", "Other"))
        ));
        assert!(!same_shape(
            &sealed,
            &doc(&PLAIN.replace("empty: \"\"", "empty: x"))
        ));
    }

    #[test]
    fn mac_bytes_follow_sops() {
        let path = [];
        assert_eq!(
            mac_bytes(&Yaml::Boolean(true), &path).unwrap().as_slice(),
            b"True"
        );
        assert_eq!(
            mac_bytes(&Yaml::Integer(-3), &path).unwrap().as_slice(),
            b"-3"
        );
        assert_eq!(
            mac_bytes(&Yaml::Real("1.50".into()), &path)
                .unwrap()
                .as_slice(),
            b"1.5"
        );
        assert_eq!(aad(&["data".into(), "password".into()]), "data:password:");
    }
}
