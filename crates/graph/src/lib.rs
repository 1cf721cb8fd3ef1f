//! Microsoft Graph client for graphlink.
#![warn(missing_docs)]
