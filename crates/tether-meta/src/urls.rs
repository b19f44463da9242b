//! The batch items' `relative_url`s (docs/GRAPH_CALLS.md). Field lists stay unencoded, as the
//! contract writes them; tokens, proofs and cursors are percent-encoded.

use url::form_urlencoded::byte_serialize;

/// Largest page of `accounts` asked for (the platform caps page sizes itself).
pub const ACCOUNTS_PAGE_SIZE: u32 = 100;
pub const PERMISSIONS_LIMIT: u32 = 500;

fn enc(s: &str) -> String {
    byte_serialize(s.as_bytes()).collect()
}

/// `id,name,tasks,instagram_business_account{…},connected_instagram_account{id,username}`.
pub fn account_fields(product_tag_eligibility: bool) -> String {
    let ig_extra = if product_tag_eligibility {
        ",shopping_product_tag_eligibility"
    } else {
        ""
    };
    format!(
        "id,name,tasks,instagram_business_account{{id,username{ig_extra}}},connected_instagram_account{{id,username}}"
    )
}

pub fn me_fields(product_tag_eligibility: bool) -> String {
    format!(
        "id,name,permissions.limit({PERMISSIONS_LIMIT}){{permission,status}},accounts.limit({ACCOUNTS_PAGE_SIZE}){{{}}}",
        account_fields(product_tag_eligibility)
    )
}

pub fn debug_token(user_token: &str) -> String {
    format!("debug_token?input_token={}", enc(user_token))
}

pub fn me(user_token: &str, proof: &str, product_tag_eligibility: bool) -> String {
    format!(
        "me?fields={}&access_token={}&appsecret_proof={}",
        me_fields(product_tag_eligibility),
        enc(user_token),
        enc(proof)
    )
}

pub fn accounts_page(
    user_token: &str,
    proof: &str,
    after: &str,
    product_tag_eligibility: bool,
) -> String {
    format!(
        "me/accounts?fields={}&limit={ACCOUNTS_PAGE_SIZE}&after={}&access_token={}&appsecret_proof={}",
        account_fields(product_tag_eligibility),
        enc(after),
        enc(user_token),
        enc(proof)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_url_matches_the_contract() {
        assert_eq!(
            me("EAAB", "abc", false),
            "me?fields=id,name,permissions.limit(500){permission,status},accounts.limit(100){id,name,tasks,instagram_business_account{id,username},connected_instagram_account{id,username}}&access_token=EAAB&appsecret_proof=abc"
        );
        assert!(
            me("t", "p", true).contains(
                "instagram_business_account{id,username,shopping_product_tag_eligibility}"
            )
        );
    }

    #[test]
    fn tokens_and_cursors_are_encoded() {
        assert_eq!(
            debug_token("a&b=c d"),
            "debug_token?input_token=a%26b%3Dc+d"
        );
        let u = accounts_page("t", "p", "QVFI+/=", false);
        assert!(u.starts_with("me/accounts?fields=id,name,tasks,"));
        assert!(u.contains("&limit=100&after=QVFI%2B%2F%3D&access_token=t&appsecret_proof=p"));
    }
}
