//! The shared vocabulary of every layer above the domain: who acts (`Role`, `Actor`), the kinds
//! of record (`Resource`), what the policy knows of a record (`Target`, `Confidential`) and its
//! refusals (`Denial`). It imports the domain only, so that the store, the policy and the HTTP
//! layer can all speak of these without importing each other (docs/ARCHITECTURE.md).

pub mod actor;
pub mod denial;
pub mod record;
pub mod role;

pub use actor::{Actor, ActorKind};
pub use denial::Denial;
pub use record::{Confidential, Resource, Target};
pub use role::{Role, RoleName, ScopeError};
