use engine::UserRisk;
use leptos::prelude::*;
use leptos_router::components::A;

use super::LevelBadge;
use service::text::count;

/// The users ranked by risk. With `link`, each name leads to that user's details.
#[component]
pub fn RiskiestUsers(
    users: Vec<UserRisk>,
    testid: &'static str,
    /// The address of a user's details, from their name.
    #[prop(optional_no_strip)]
    link: Option<Callback<String, String>>,
) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="data" data-testid=testid>
                <thead><tr><th scope="col">"User"</th><th scope="col">"Risk"</th><th scope="col">"Level"</th><th scope="col">"High or above"</th><th scope="col">"Logins"</th></tr></thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|user| {
                            let name = match link {
                                Some(link) => {
                                    let href = link.run(user.user_id.clone());
                                    view! { <A href=href attr:data-testid="user-link">{user.user_id}</A> }.into_any()
                                }
                                None => user.user_id.into_any(),
                            };
                            view! {
                                <tr>
                                    <td>{name}</td>
                                    <td>{format!("{:.2}", user.risk_score)}</td>
                                    <td><LevelBadge level=user.risk_level /></td>
                                    <td>{count(u64::from(user.high_or_above))}</td>
                                    <td>{count(u64::from(user.logins))}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
