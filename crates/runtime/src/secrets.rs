//! Secret assets: values encrypted with age (X25519) to the asset's public key, decryptable
//! only where the private key (identity file) is.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use base64::Engine;

pub use crate::macros::SecretValue;
use crate::project::Project;
use crate::{Error, Result};

/// The environment variable naming the private key file of a node.
pub const SECRET_KEY_ENV: &str = "GRAPHLINK_SECRET_KEY_FILE";

/// The prefix of an encrypted value in a project file.
pub const VALUE_PREFIX: &str = "age:";

/// A private key (age identity). `Debug` shows only the public key.
pub struct KeyPair {
    identity: age::x25519::Identity,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("recipient", &self.recipient())
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A new random key pair.
    pub fn generate() -> Self {
        Self {
            identity: age::x25519::Identity::generate(),
        }
    }

    /// The public key (`age1...`): put it in the secret asset's `recipient`.
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }

    /// Reads a private key file (lines starting with `#` are comments).
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io("reading the private key", path, e))?;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .ok_or_else(|| {
                Error::Secret(format!(
                    "'{}' holds no age private key (AGE-SECRET-KEY-...)",
                    path.display()
                ))
            })?;
        let identity = age::x25519::Identity::from_str(line).map_err(|_| {
            Error::Secret(format!(
                "'{}' holds an invalid age private key",
                path.display()
            ))
        })?;
        Ok(Self { identity })
    }

    /// Reads the private key from the file named by [`SECRET_KEY_ENV`], if set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var_os(SECRET_KEY_ENV) {
            Some(p) if !p.is_empty() => Self::read(Path::new(&p)).map(Some),
            _ => Ok(None),
        }
    }

    /// Writes the private key to a new file (mode 0600 on Unix). Refuses to overwrite.
    pub fn write(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts
            .open(path)
            .map_err(|e| Error::io("creating the private key file", path, e))?;
        let secret = self.identity.to_string();
        let text = format!(
            "# graphlink secret key\n# public key: {}\n{}\n",
            self.recipient(),
            secret.expose_secret()
        );
        file.write_all(text.as_bytes())
            .map_err(|e| Error::io("writing", path, e))?;
        Ok(())
    }

    /// Decrypts one stored value (`age:BASE64`).
    pub fn decrypt(&self, stored: &str) -> Result<SecretValue> {
        let b64 = stored
            .trim()
            .strip_prefix(VALUE_PREFIX)
            .ok_or_else(|| Error::Secret(format!("stored values start with '{VALUE_PREFIX}'")))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| Error::Secret("the stored value is not valid base64".into()))?;
        let plain = age::decrypt(&self.identity, &bytes).map_err(|e| {
            Error::Secret(format!(
                "cannot decrypt ({e}): was it encrypted to another key?"
            ))
        })?;
        String::from_utf8(plain)
            .map(SecretValue::new)
            .map_err(|_| Error::Secret("the decrypted value is not UTF-8".into()))
    }
}

/// Encrypts `value` to the public key `recipient`; returns the text to store (`age:BASE64`).
pub fn encrypt(recipient: &str, value: &str) -> Result<String> {
    let r = age::x25519::Recipient::from_str(recipient.trim())
        .map_err(|e| Error::Secret(format!("invalid recipient '{}': {e}", recipient.trim())))?;
    let bytes = age::encrypt(&r, value.as_bytes())
        .map_err(|e| Error::Secret(format!("cannot encrypt: {e}")))?;
    Ok(format!(
        "{VALUE_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Checks a public key.
pub fn check_recipient(recipient: &str) -> std::result::Result<(), String> {
    age::x25519::Recipient::from_str(recipient.trim())
        .map(|_| ())
        .map_err(|e| format!("invalid age public key '{}': {e}", recipient.trim()))
}

/// Decrypts every value of every secret asset of `project` with `key`.
pub fn decrypt_all(project: &Project, key: &KeyPair) -> Result<BTreeMap<String, SecretValue>> {
    let mut out = BTreeMap::new();
    for asset in &project.secrets {
        for (k, v) in &asset.values {
            let value = key
                .decrypt(v)
                .map_err(|e| Error::Secret(format!("{} key '{k}': {e}", asset.meta.id)))?;
            out.insert(k.clone(), value);
        }
    }
    Ok(out)
}

/// Adds a secret asset named `asset` with public key `recipient` to the project: appended to
/// `file` (relative to the project folder; default `secrets.toml`). Returns the file written.
pub fn create_secret_asset(
    project_dir: &Path,
    asset: &str,
    recipient: &str,
    file: Option<&Path>,
) -> Result<PathBuf> {
    check_recipient(recipient).map_err(Error::Secret)?;
    if asset.is_empty() || asset.chars().any(char::is_whitespace) {
        return Err(Error::Config(format!(
            "invalid asset name '{asset}': no whitespace allowed"
        )));
    }
    if let Ok(project) = Project::load(project_dir) {
        if project.secrets.iter().any(|s| s.meta.id.name == asset) {
            return Err(Error::Config(format!(
                "secret asset '{asset}' already exists"
            )));
        }
    }
    let path = project_dir.join(file.unwrap_or(Path::new("secrets.toml")));
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut doc: toml_edit::DocumentMut = existing.parse().map_err(|source| Error::Toml {
        path: path.clone(),
        source: Box::new(source),
    })?;
    let secret = doc
        .entry("secret")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| Error::Config(format!("'secret' in '{}' is not a table", path.display())))?;
    let mut t = toml_edit::Table::new();
    t.insert("recipient", toml_edit::value(recipient.trim()));
    t.insert("values", toml_edit::Item::Table(toml_edit::Table::new()));
    secret.insert(asset, toml_edit::Item::Table(t));
    std::fs::write(&path, doc.to_string()).map_err(|e| Error::io("writing", &path, e))?;
    Ok(path)
}

/// Encrypts `value` to the public key of secret asset `asset` and stores it as `key` in the
/// asset's file (replacing an existing value). Needs no private key. Returns the file written.
pub fn add_secret(project_dir: &Path, asset: &str, key: &str, value: &str) -> Result<PathBuf> {
    if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c == '}') {
        return Err(Error::Config(format!("invalid secret key '{key}'")));
    }
    let project = Project::load(project_dir)?;
    let found = project
        .secrets
        .iter()
        .find(|s| s.meta.id.name == asset)
        .ok_or_else(|| {
            Error::Config(format!(
                "no secret asset '{asset}' in the project (create one first)"
            ))
        })?;
    let encrypted = encrypt(&found.recipient, value)?;
    let path = project.file_path(&found.meta.location.file);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|source| Error::Toml {
        path: path.clone(),
        source: Box::new(source),
    })?;
    let table = doc
        .get_mut("secret")
        .and_then(|s| s.get_mut(asset))
        .and_then(|a| a.as_table_like_mut())
        .ok_or_else(|| {
            Error::Config(format!(
                "cannot find [secret.{asset}] in '{}'",
                path.display()
            ))
        })?;
    let values = table
        .entry("values")
        .or_insert(toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| Error::Config(format!("[secret.{asset}] values is not a table")))?;
    values.insert(key, toml_edit::value(encrypted));
    std::fs::write(&path, doc.to_string()).map_err(|e| Error::io("writing", &path, e))?;
    Ok(path)
}
