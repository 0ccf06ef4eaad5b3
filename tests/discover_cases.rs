//! Issue 15's failure kinds, one saved page each in `tests/fixtures/discover/` (hand-written, small):
//! each test drafts the page and runs the draft on it, as `discover::check_fixture` does.

use crate::discover::check_fixture;

fn holds(name: &str) {
    if let Err(e) = check_fixture(name) {
        panic!("{e}");
    }
}

#[test]
fn class_substrings_like_no_sidebar_or_pre_footer_do_not_rule_out_the_list() {
    holds("nav-class-substring");
}

#[test]
fn per_item_wordpress_classes_do_not_split_the_group() {
    holds("per-item-classes");
}

#[test]
fn odd_even_first_last_and_numbered_classes_do_not_split_the_group() {
    holds("position-classes");
}

#[test]
fn link_cards_whose_item_is_the_link_qualify() {
    holds("link-cards");
}

#[test]
fn a_story_over_table_rows_with_spacer_rows_is_one_item() {
    holds("table-spacer-rows");
}

#[test]
fn a_table_of_classed_story_rows_is_not_drafted_as_every_cell() {
    holds("table-story-rows");
}

#[test]
fn the_items_selector_matches_exactly_the_group_not_a_sidebar_alike() {
    holds("broader-selector");
}

#[test]
fn share_email_rating_and_read_more_links_are_not_the_item_link() {
    holds("shared-links");
}

#[test]
fn a_headline_just_before_the_teaser_gives_the_items() {
    holds("title-before-item");
}

#[test]
fn header_and_footer_link_lists_are_not_the_listing() {
    holds("wrong-group-chrome");
}

#[test]
fn the_main_list_wins_over_small_front_page_sections() {
    holds("front-page-sections");
}

#[test]
fn an_aside_of_cards_is_not_the_listing() {
    holds("aside-cards");
}

#[test]
fn next_page_from_a_numbered_page_path_pager() {
    holds("pager-page-path");
}

#[test]
fn next_page_from_a_numbered_query_pager() {
    holds("pager-query");
}

#[test]
fn next_page_from_a_more_link() {
    holds("pager-more");
}

#[test]
fn k2_rating_widgets_are_neither_title_nor_link() {
    holds("k2-ratings");
}

#[test]
fn a_view_details_hover_label_is_not_the_title_of_a_link_card() {
    holds("card-hover-label");
}

#[test]
fn cards_whose_only_link_is_a_buy_button_are_titled_by_their_heading() {
    holds("buy-button-cards");
}

#[test]
fn a_listing_split_into_short_sections_by_month_is_one_group() {
    holds("sections-by-month");
}
