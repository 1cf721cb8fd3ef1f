//! Microsoft Graph client for graphlink: the request pipeline, drive and site resolution, items,
//! delta, resumable downloads and uploads, folder operations, copy, `$batch`, and QuickXorHash.
//!
//! Start with [`GraphClient::builder`], resolve a drive with [`GraphClient::drive`], then use the
//! [`DriveClient`] for everything about items:
//!
//! | CLI verb | call |
//! |---|---|
//! | `ls` | [`DriveClient::children`] / [`DriveClient::list`], recursive [`DriveClient::walk`] |
//! | `stat` | [`DriveClient::get`] / [`DriveClient::try_get`] |
//! | `get` | [`DriveClient::download_to_file`], folders [`DriveClient::download_dir`] |
//! | `cat` | [`DriveClient::download`] into any `AsyncWrite` (stdout) |
//! | `put` | [`DriveClient::upload_file`] / [`DriveClient::upload_stream`], folders [`DriveClient::upload_dir`] |
//! | `mkdir` | [`DriveClient::create_folder`] / [`DriveClient::create_folder_all`] |
//! | `mv` | [`DriveClient::move_item`] |
//! | `rm` | [`DriveClient::delete`] |
//! | `cp` | [`DriveClient::copy`] |
//! | sync | [`DriveClient::delta`] |
//! | connection test, other calls | [`GraphClient::get_json`] / [`GraphClient::send_json_body`] / [`GraphClient::batch`] |
#![warn(missing_docs)]

mod batch;
mod client;
mod delta;
mod drive;
mod error;
mod items;
mod ops;
mod path;
mod progress;
/// quickXorHash (the crate `graphlink-quickxorhash`, shared with the emulator).
pub use graphlink_quickxorhash as quickxorhash;
mod raw;
mod request;
mod site;
pub mod teams;
mod transfer;
pub mod wire;

pub use batch::MAX_BATCH;
pub use client::{GraphClient, GraphClientBuilder, Settings, UPLOAD_FRAGMENT_UNIT};
pub use delta::{DeltaCursor, DeltaEvent, DeltaStart};
pub use drive::{DriveClient, DriveRef};
pub use error::{ApiError, Error, Result};
pub use items::{is_folder, ListOptions, WalkEntry};
pub use path::{
    drive_path_from_parent_path, encode_path, encode_segment, join_path, split_path, ItemRef,
};
pub use progress::{NoProgress, Progress};
pub use reqwest::Method;
pub use teams::{Conversation, MessageContent, TeamsClient};
pub use transfer::source::ReadSeek;
pub use transfer::tree::{TreeOptions, TreeReport};
pub use transfer::upload::UploadOptions;
pub use wire::{ConflictBehavior, Drive, DriveItem, Site};
