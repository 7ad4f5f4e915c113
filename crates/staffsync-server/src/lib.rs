//! staffsync-server: the HTTP side of the staffsync service over the engine
//! (`staffsync-engine`): `app(state) -> Router` and `serve(listener, state, shutdown)`,
//! the admin web app, the REST API, the Personio webhook route, the operations endpoints,
//! authentication, and the layout of alert e-mails ([`letters`]).
//!
//! It shows and asks; it never changes a directory except by asking the engine, and
//! nothing here decides *what* changes in a directory: that is the planner's job in
//! `staffsync-core`.

pub mod http;
pub mod letters;

pub use http::{api, app, auth, client_ip, ops, serve, web};
