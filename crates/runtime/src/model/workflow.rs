//! `[workflow.NAME]`: a source, a sink, an optional command between them and the
//! notifications of its outcome. Its references are checked by `validate`.

use std::time::Duration;

use super::reader::{AssetReader, Tbl};
use super::settings::{count, settings, table, text, with, SettingExt};
use super::AssetMeta;
use crate::macros::Scope;

settings! {
    /// A notification of a workflow.
    #[derive(Debug, Clone)]
    pub struct Notification {
        /// The service asset.
        pub service: String = text(None).required(" (a service asset)").needed(),
        /// The conversation (channel/chat logical name).
        pub conversation: String = text(Some(Scope::Static)).or_default(),
        /// The message template.
        pub message: String = text(Some(Scope::Message))
            .required(" (the text, macros allowed)")
            .needed(),
    }
}

/// A processing command.
#[derive(Debug, Clone)]
pub struct CommandSetting {
    /// Program and arguments (macros allowed).
    pub argv: Vec<String>,
    /// Longest run time.
    pub timeout: Option<Duration>,
}

settings! {
    /// A workflow.
    #[derive(Debug, Clone)]
    pub struct Workflow {
        /// Common fields.
        pub meta: AssetMeta = with(|_, _| AssetMeta::unset()),
        /// The source asset.
        pub source: String = text(None).required(" (a source asset)").or_default(),
        /// The sink asset.
        pub sink: String = text(None).required(" (a sink asset)").or_default(),
        /// Optional processing (`command` and `command_timeout`).
        pub command: Option<CommandSetting> = with(command),
        /// Notification on success.
        pub on_success: Option<Notification> = table(),
        /// Notification on failure.
        pub on_failure: Option<Notification> = table(),
        /// Files taken through the workflow at once (at least 1).
        pub files_in_flight: u32 = count().or(DEFAULT_FILES_IN_FLIGHT),
        /// The sizes of the files in flight together, in MiB (a larger file still goes, alone).
        pub mib_in_flight: u32 = count().or(DEFAULT_MIB_IN_FLIGHT),
    }
}

/// Files in flight per workflow unless `files_in_flight` says otherwise.
pub const DEFAULT_FILES_IN_FLIGHT: u32 = 8;
/// MiB in flight per workflow unless `mib_in_flight` says otherwise.
pub const DEFAULT_MIB_IN_FLIGHT: u32 = 256;

impl Workflow {
    /// The checks of one workflow's own settings.
    pub(crate) fn check(&self, c: &mut super::check::Checks<'_>) {
        for (key, v) in [
            ("files_in_flight", self.files_in_flight),
            ("mib_in_flight", self.mib_in_flight),
        ] {
            if v == 0 {
                c.at(&self.meta, Some(key), format!("{key} must be at least 1"));
            }
        }
    }
}

/// `command` (program and arguments, not empty) and `command_timeout`.
fn command(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<CommandSetting> {
    let argv = r.strings(t, "command", Some(Scope::PerFile));
    let timeout = r.duration(t, "command_timeout");
    if !argv.is_empty() {
        return Some(CommandSetting { argv, timeout });
    }
    if let Some(node) = t.map.get("command") {
        let span = node.span.clone();
        r.problem(
            Some("command".into()),
            &span,
            "the command is empty: give the program and its arguments",
        );
    }
    None
}
