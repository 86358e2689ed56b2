package pages

// logoutAction is where the layout's sign-out form posts: holders sign out
// of the wallet, everyone else out of the console.
func logoutAction(p Page) string {
	if p.Is(RoleHolder) {
		return "/my/logout"
	}
	return "/logout"
}
