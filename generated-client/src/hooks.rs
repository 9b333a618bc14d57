//! progenitor's per-request hooks: authentication and retries live here, so
//! every generated operation gets them.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Request, Response};

use crate::{Client, ClientConfig};

impl ClientHooks<ClientConfig> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let config = self.inner();
        let headers = request.headers_mut();
        let (name, key) = config.api_key.header();
        headers.insert(name, key);
        // progenitor sends the spec's `info.version` as `api-version`. That is
        // this document's version, not an API version Ultravox reads (its
        // version is in the path, /api/), so don't send a misleading header.
        headers.remove("api-version");
        if let Some(timeout) = config.timeout {
            request.timeout_mut().get_or_insert(timeout);
        }
        Ok(())
    }

    async fn exec(&self, request: Request, _info: &OperationInfo) -> reqwest::Result<Response> {
        self.inner().retry.execute(self.client(), request).await
    }
}
