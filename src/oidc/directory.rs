//! Realms and clients, held in memory.
//!
//! They are configuration: small, read on every request, changed only when fixtures are
//! applied (or, later, through the control plane). SQLite stays the source of truth; the
//! directory is rebuilt from it after every such change ([`crate::app::App::reload_directory`]),
//! so a request never pays a blocking-pool round trip to find its realm or client.

use std::collections::HashMap;

use rusqlite::Connection;

use super::model::{Client, Realm};
use super::store;
use crate::error::Result;

#[derive(Debug, Default)]
pub struct Directory {
    /// By every name a realm answers to; `requested` is that name.
    realms: HashMap<String, Realm>,
    /// In display order: each realm's own name, then its aliases.
    names: Vec<String>,
    /// By (canonical realm, client_id).
    clients: HashMap<(String, String), Client>,
}

impl Directory {
    pub fn load(conn: &Connection) -> Result<Self> {
        let realms = store::load_realms(conn)?;
        let names = realms.iter().map(|r| r.requested.clone()).collect();
        let clients = store::load_clients(conn)?
            .into_iter()
            .map(|(realm, client)| ((realm, client.client_id.clone()), client))
            .collect();
        Ok(Self {
            realms: realms.into_iter().map(|r| (r.requested.clone(), r)).collect(),
            names,
            clients,
        })
    }

    /// The realm reached by `name` (its own name or an alias).
    pub fn realm(&self, name: &str) -> Option<Realm> {
        self.realms.get(name).cloned()
    }

    /// A client of the realm whose canonical name is `realm`.
    pub fn client(&self, realm: &str, client_id: &str) -> Option<Client> {
        self.clients
            .get(&(realm.to_owned(), client_id.to_owned()))
            .cloned()
    }

    /// Every client of the realm whose canonical name is `realm`, by client_id.
    pub fn clients_of(&self, realm: &str) -> Vec<Client> {
        let mut clients: Vec<Client> = self
            .clients
            .iter()
            .filter(|((r, _), _)| r == realm)
            .map(|(_, c)| c.clone())
            .collect();
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        clients
    }

    /// Every realm name and alias.
    pub fn realm_names(&self) -> &[String] {
        &self.names
    }
}
