//! Which tenant an authority names: the seed's tenant (by id or domain), or `common` /
//! `organizations`.

use crate::seed::Seed;
use crate::web::IdentityError;

use super::errors;

/// The tenant segment of a request path, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tenant {
    /// The seed's tenant, named by its id or domain.
    Ours,
    /// `common`: any account (here: the one tenant).
    Common,
    /// `organizations`: any work account (here: the one tenant).
    Organizations,
}

impl Tenant {
    /// Resolves a path segment (case-insensitive).
    pub(super) fn resolve(seed: &Seed, segment: &str) -> Result<Self, IdentityError> {
        if seed.is_tenant(segment) {
            Ok(Tenant::Ours)
        } else if segment.eq_ignore_ascii_case("common") {
            Ok(Tenant::Common)
        } else if segment.eq_ignore_ascii_case("organizations") {
            Ok(Tenant::Organizations)
        } else if segment.eq_ignore_ascii_case("consumers") {
            Err(errors::consumers_tenant())
        } else {
            Err(errors::unknown_tenant(segment))
        }
    }

    /// The path segment endpoints under this authority use: the tenant id for the seed's
    /// tenant (as Microsoft does for a domain authority), else `common` / `organizations`.
    pub(super) fn segment(self, seed: &Seed) -> String {
        match self {
            Tenant::Ours => seed.tenant.id.clone(),
            Tenant::Common => "common".into(),
            Tenant::Organizations => "organizations".into(),
        }
    }

    /// Whether this names one concrete tenant.
    pub(super) fn is_concrete(self) -> bool {
        self == Tenant::Ours
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_domain_and_aliases_resolve_case_insensitively() {
        let seed = Seed::default();
        let id = seed.tenant.id.to_ascii_uppercase();
        assert_eq!(Tenant::resolve(&seed, &id).unwrap(), Tenant::Ours);
        assert_eq!(
            Tenant::resolve(&seed, "Contoso.OnMicrosoft.com").unwrap(),
            Tenant::Ours
        );
        assert_eq!(Tenant::resolve(&seed, "COMMON").unwrap(), Tenant::Common);
        assert_eq!(
            Tenant::resolve(&seed, "organizations").unwrap(),
            Tenant::Organizations
        );
        assert_eq!(
            Tenant::resolve(&seed, "consumers").unwrap_err().aadsts,
            90002
        );
        let err = Tenant::resolve(&seed, "fabrikam.onmicrosoft.com").unwrap_err();
        assert_eq!((err.error.as_str(), err.aadsts), ("invalid_tenant", 90002));
    }
}
