//! Microsoft identity platform client for graphlink.
#![warn(missing_docs)]

mod error;
mod token;

pub use error::Error;

pub use token::{AccessToken, TokenProvider};
