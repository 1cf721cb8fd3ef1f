//! Token caches: in memory for every credential ([`TokenCache`]), and a persistent file for
//! user sign-ins ([`TokenStore`]) so a device-flow connection keeps working across runs.

mod memory;
mod store;
mod user;

pub use crate::token::TokenFetcher;
pub use memory::TokenCache;
pub use store::{CacheFile, CachedAccount, LockedStore, StoredAccessToken, TokenStore};
pub use user::CachedUserCredential;
