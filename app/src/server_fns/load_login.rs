use leptos::prelude::*;

use service::review::LoginDetails;

/// One login of a kept run as the triage panel shows it (the login beside the user's usual,
/// the previous login, each detector's part, the account's verdict, the verdicts and their
/// history); 404 for an unknown run or a login the run does not keep.
#[server(prefix = "/_sfn", endpoint = "detect/login")]
pub async fn load_login(id: String, login_id: String) -> Result<LoginDetails, ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let service = expect_context::<Arc<DetectionService>>();
    service.login_details(&id, &login_id).await.map_err(refused)
}
