//! Roles and their scopes: what a token or an account may be, checked once when it is read.

use crate::domain::string_enum;

use uuid::Uuid;

use crate::domain::codes::RegionCode;

string_enum! {
    /// The name of a role, as stored and as carried by the `role` claim.
    #[derive(clap::ValueEnum)]
    #[clap(rename_all = "snake_case")]
    pub enum RoleName("role") {
        /// Reads all non-confidential data everywhere; writes nothing.
        Viewer = "viewer",
        /// A partner organisation (`organisation_id`): its own profile and the sponsorships it gives.
        Partner = "partner",
        /// A Cress manager of one region (`region_code`): everything of that region.
        CressManager = "cress_manager",
        /// Everything, users and API clients included.
        Admin = "admin",
    }
}

/// A role with its scope: a partner always has its organisation, a Cress manager its region,
/// and the other roles have no scope at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Viewer,
    Partner { org: Uuid },
    CressManager { region: RegionCode },
    Admin,
}

/// Why a role and a scope do not go together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("the role partner needs an organisation")]
    MissingOrganisation,
    #[error("the role cress_manager needs a region")]
    MissingRegion,
    #[error("{0} is not a region code")]
    UnknownRegion(String),
    #[error("the role {0} takes no region")]
    UnexpectedRegion(RoleName),
    #[error("the role {0} takes no organisation")]
    UnexpectedOrganisation(RoleName),
}

impl ScopeError {
    /// The field of an account that is at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::MissingOrganisation | Self::UnexpectedOrganisation(_) => "organisation_id",
            Self::MissingRegion | Self::UnknownRegion(_) | Self::UnexpectedRegion(_) => "region_code",
        }
    }

    /// A stable code for a 422 entry.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingOrganisation | Self::MissingRegion => "required",
            Self::UnknownRegion(_) => "unknown_code",
            Self::UnexpectedRegion(_) | Self::UnexpectedOrganisation(_) => "not_allowed",
        }
    }
}

impl Role {
    /// Puts a role name and its scope together, refusing a scoped role without its scope and
    /// a scope on a role that takes none.
    pub fn from_parts(name: RoleName, region: Option<&str>, org: Option<Uuid>) -> Result<Self, ScopeError> {
        match name {
            RoleName::Viewer | RoleName::Admin => {
                if region.is_some() {
                    return Err(ScopeError::UnexpectedRegion(name));
                }
                if org.is_some() {
                    return Err(ScopeError::UnexpectedOrganisation(name));
                }
                Ok(if name == RoleName::Admin {
                    Self::Admin
                } else {
                    Self::Viewer
                })
            }
            RoleName::Partner => {
                if region.is_some() {
                    return Err(ScopeError::UnexpectedRegion(name));
                }
                org.map(|org| Self::Partner { org })
                    .ok_or(ScopeError::MissingOrganisation)
            }
            RoleName::CressManager => {
                if org.is_some() {
                    return Err(ScopeError::UnexpectedOrganisation(name));
                }
                let raw = region.ok_or(ScopeError::MissingRegion)?;
                let region = RegionCode::parse(raw).map_err(|_| ScopeError::UnknownRegion(raw.to_owned()))?;
                Ok(Self::CressManager { region })
            }
        }
    }

    pub fn name(&self) -> RoleName {
        match self {
            Self::Viewer => RoleName::Viewer,
            Self::Partner { .. } => RoleName::Partner,
            Self::CressManager { .. } => RoleName::CressManager,
            Self::Admin => RoleName::Admin,
        }
    }

    /// The region of a Cress manager.
    pub fn region(&self) -> Option<&RegionCode> {
        match self {
            Self::CressManager { region } => Some(region),
            _ => None,
        }
    }

    /// The organisation of a partner.
    pub fn org(&self) -> Option<Uuid> {
        match self {
            Self::Partner { org } => Some(*org),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_parts_requires_the_scope_of_scoped_roles_and_refuses_it_elsewhere() {
        let org = Uuid::now_v7();
        assert_eq!(
            Role::from_parts(RoleName::Partner, None, Some(org)),
            Ok(Role::Partner { org })
        );
        assert_eq!(
            Role::from_parts(RoleName::Partner, None, None),
            Err(ScopeError::MissingOrganisation)
        );
        assert_eq!(
            Role::from_parts(RoleName::CressManager, None, None),
            Err(ScopeError::MissingRegion)
        );
        assert_eq!(
            Role::from_parts(RoleName::CressManager, Some("05"), None),
            Err(ScopeError::UnknownRegion("05".into()))
        );
        assert!(matches!(
            Role::from_parts(RoleName::CressManager, Some("76"), None),
            Ok(Role::CressManager { region }) if region.as_str() == "76"
        ));
        assert!(Role::from_parts(RoleName::Viewer, Some("76"), None).is_err());
        assert!(Role::from_parts(RoleName::Admin, None, Some(org)).is_err());
        assert!(Role::from_parts(RoleName::CressManager, Some("76"), Some(org)).is_err());
        assert!(Role::from_parts(RoleName::Partner, Some("76"), Some(org)).is_err());
    }

    #[test]
    fn role_names_round_trip_through_their_text() {
        for name in RoleName::ALL {
            assert_eq!(RoleName::parse(name.as_str()), Some(name));
        }
        assert_eq!(RoleName::parse("superuser"), None);
        assert_eq!(RoleName::parse("Admin"), None);
    }
}
