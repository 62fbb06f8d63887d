package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
)

// UsersCollection holds staff users, keyed by username.
const UsersCollection = "users"

var (
	// ErrBadCredentials is a wrong username or password (one answer for both).
	ErrBadCredentials = errors.New("web: wrong username or password")
	// ErrUserExists is a username already taken.
	ErrUserExists = errors.New("web: user exists")
	// ErrInvalidUser lists the fields of a user that are not acceptable.
	ErrInvalidUser = errors.New("web: invalid user")
	// ErrDisabled is a right password for an account an admin disabled.
	ErrDisabled = errors.New("web: account disabled")
	// ErrLastAdmin refuses to disable, or take the admin role from, the
	// last enabled admin: nobody could manage the gateway any more.
	ErrLastAdmin = errors.New("web: the last enabled admin")
)

// Sign-in failure handling (登录失败处理): MaxFailedLogins wrong passwords
// for one account within FailureWindow lock it for LockFor; a locked
// account is refused without its password being checked, so guessing
// stops. An admin's password reset or enabling lifts the lock.
const (
	MaxFailedLogins = 5
	FailureWindow   = 15 * time.Minute
	LockFor         = 15 * time.Minute
)

// LockedError is a sign-in refused because the account is locked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "web: account locked until " + e.Until.Format(time.RFC3339)
}

// User is a member of staff who signs in to the pages.
type User struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Roles       []auth.Role `json:"roles"`
	Hash        string      `json:"hash,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	CreatedBy   string      `json:"created_by,omitempty"`
	// Disabled accounts cannot sign in; their sessions were ended when
	// an admin disabled them (staff who left keep their history).
	Disabled   bool      `json:"disabled,omitempty"`
	DisabledAt time.Time `json:"disabled_at,omitzero"`
	DisabledBy string    `json:"disabled_by,omitempty"`
	// MustChangePassword is set on a password an admin chose (a new
	// account, a reset): the user changes it before anything else.
	MustChangePassword bool      `json:"must_change_password,omitempty"`
	PasswordChangedAt  time.Time `json:"password_changed_at,omitzero"`
	// FailedLogins counts wrong passwords since FailedSince (within
	// FailureWindow); LockedUntil is set when they reach MaxFailedLogins.
	FailedLogins int       `json:"failed_logins,omitempty"`
	FailedSince  time.Time `json:"failed_since,omitzero"`
	LockedUntil  time.Time `json:"locked_until,omitzero"`
}

// Public returns u without its password hash and failure counters.
func (u User) Public() User { u.Hash, u.FailedLogins, u.FailedSince = "", 0, time.Time{}; return u }

// StatusLabel says how the account stands, for the admin page.
func (u User) StatusLabel() string {
	switch {
	case u.Disabled:
		return "已停用"
	case u.Locked(time.Now()):
		return "已锁定至 " + u.LockedUntil.In(time.Local).Format("15:04")
	case u.MustChangePassword:
		return "待修改初始密码"
	}
	return "正常"
}

// Locked reports whether u is locked at now.
func (u User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

// Principal is the principal a signed-in user acts as.
func (u User) Principal() auth.Principal {
	return auth.Principal{ID: "user:" + u.Username, Name: u.DisplayName, Roles: append([]auth.Role(nil), u.Roles...)}
}

// NewUser is what an admin (or the CLI) gives to create a user.
type NewUser struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Password    string      `json:"password"`
	Roles       []auth.Role `json:"roles"`
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// MinPassword is the shortest password accepted.
const MinPassword = 10

// passwordRule says what a password must be (口令复杂度): 10 to 72
// characters (bcrypt reads 72 bytes) of at least two kinds among letters,
// digits and other characters.
var passwordRule = fmt.Sprintf("password (%d-72 characters, at least two kinds of letters, digits and symbols)", MinPassword)

// passwordOK checks a password against passwordRule.
func passwordOK(pw string) bool {
	if utf8.RuneCountInString(pw) < MinPassword || len(pw) > 72 {
		return false
	}
	var letter, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsLetter(r):
			letter = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	return letter+digit+other >= 2
}

// Validate reports every unacceptable field at once.
func (n NewUser) Validate() error {
	var bad []string
	if !usernameRE.MatchString(n.Username) {
		bad = append(bad, "username (2-32: a-z 0-9 . _ -)")
	}
	if d := strings.TrimSpace(n.DisplayName); d == "" || utf8.RuneCountInString(d) > 50 {
		bad = append(bad, "display_name (1-50 characters)")
	}
	if !passwordOK(n.Password) {
		bad = append(bad, passwordRule)
	}
	if len(n.Roles) == 0 || auth.ValidateRoles(n.Roles) != nil {
		bad = append(bad, "roles")
	}
	if bad != nil {
		return fmt.Errorf("%w: %s", ErrInvalidUser, strings.Join(bad, "; "))
	}
	return nil
}

// Users stores staff users.
type Users struct {
	st   store.Store
	cost int
	now  func() time.Time
}

// NewUsers returns the user store over st.
func NewUsers(st store.Store) *Users {
	go dummyHash() // ready long before the first sign-in, off the start-up path
	return &Users{st: st, cost: bcrypt.DefaultCost, now: time.Now}
}

// Create stores a new user with a bcrypt hash of the password.
func (u *Users) Create(ctx context.Context, n NewUser, createdBy string) (User, error) {
	n.Username = strings.TrimSpace(n.Username)
	if err := n.Validate(); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), u.cost)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	// A password an admin chose for someone else (through the pages or
	// the API) is changed at the first sign-in; the command line's, the
	// bootstrap token's first admin and the demo city's are not.
	byAdmin := strings.HasPrefix(createdBy, "user:") || strings.HasPrefix(createdBy, "token:")
	usr := User{Username: n.Username, DisplayName: strings.TrimSpace(n.DisplayName), Roles: n.Roles, Hash: string(hash), CreatedAt: u.now().UTC(), CreatedBy: createdBy,
		MustChangePassword: byAdmin}
	data, _ := json.Marshal(usr)
	_, err = u.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: UsersCollection, ID: usr.Username, Data: data}}}})
	if errors.Is(err, store.ErrConflict) {
		return User{}, fmt.Errorf("create user %s: %w", usr.Username, ErrUserExists)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return usr.Public(), nil
}

// Get returns one user (with its hash).
func (u *Users) Get(ctx context.Context, username string) (User, error) {
	r, err := u.st.Get(ctx, UsersCollection, username)
	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", username, err)
	}
	var usr User
	if err := json.Unmarshal(r.Data, &usr); err != nil {
		return User{}, fmt.Errorf("user %s: %w", username, err)
	}
	return usr, nil
}

// dummyHash makes a sign-in with an unknown username cost as much as one
// with a wrong password, so usernames cannot be probed by timing. It is
// made once, on first use (NewUsers starts that): as a package variable it
// cost every process ~130 ms of start-up, before main ran.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("hallgate-dummy-password"), bcrypt.DefaultCost)
	return h
})

// Verify checks a username and password, counting wrong passwords
// against the account (see MaxFailedLogins). It answers ErrBadCredentials
// for an unknown username or a wrong password alike, *LockedError for a
// locked account (whatever the password) and ErrDisabled for the right
// password of a disabled account.
func (u *Users) Verify(ctx context.Context, username, password string) (User, error) {
	username = strings.TrimSpace(username)
	usr, err := u.Get(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	now := u.now().UTC()
	if usr.Locked(now) {
		return User{}, &LockedError{Until: usr.LockedUntil}
	}
	if bcrypt.CompareHashAndPassword([]byte(usr.Hash), []byte(password)) != nil {
		var locked time.Time
		_, err := u.update(ctx, username, func(x *User) error {
			if x.FailedSince.IsZero() || now.Sub(x.FailedSince) > FailureWindow {
				x.FailedLogins, x.FailedSince = 0, now
			}
			x.FailedLogins++
			if x.FailedLogins >= MaxFailedLogins {
				x.LockedUntil, locked = now.Add(LockFor), now.Add(LockFor)
				x.FailedLogins, x.FailedSince = 0, time.Time{}
			}
			return nil
		})
		if err != nil {
			return User{}, err
		}
		if !locked.IsZero() {
			return User{}, &LockedError{Until: locked}
		}
		return User{}, ErrBadCredentials
	}
	if usr.Disabled {
		return User{}, ErrDisabled
	}
	if usr.FailedLogins > 0 {
		if usr, err = u.update(ctx, username, func(x *User) error { x.FailedLogins, x.FailedSince = 0, time.Time{}; return nil }); err != nil {
			return User{}, err
		}
	}
	return usr, nil
}

// update applies fn to the stored user and writes it back, re-reading on
// a concurrent change.
func (u *Users) update(ctx context.Context, username string, fn func(*User) error) (User, error) {
	for attempt := 0; ; attempt++ {
		r, err := u.st.Get(ctx, UsersCollection, username)
		if err != nil {
			return User{}, fmt.Errorf("user %s: %w", username, err)
		}
		var usr User
		if err := json.Unmarshal(r.Data, &usr); err != nil {
			return User{}, fmt.Errorf("user %s: %w", username, err)
		}
		if err := fn(&usr); err != nil {
			return User{}, err
		}
		data, _ := json.Marshal(usr)
		_, err = u.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: UsersCollection, ID: username, Data: data}, ExpectVersion: r.Version}}})
		if err == nil {
			return usr, nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt >= 8 {
			return User{}, fmt.Errorf("update user %s: %w", username, err)
		}
	}
}

// SetPassword replaces a user's password. Set by the user (byUser) it
// clears MustChangePassword and must differ from the current one; set by
// an admin it sets MustChangePassword, so the user picks their own at the
// next sign-in. Either way the lock and the failures go.
func (u *Users) SetPassword(ctx context.Context, username, password string, byUser bool) (User, error) {
	if !passwordOK(password) {
		return User{}, fmt.Errorf("%w: %s", ErrInvalidUser, passwordRule)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), u.cost)
	if err != nil {
		return User{}, fmt.Errorf("set password: %w", err)
	}
	usr, err := u.update(ctx, username, func(x *User) error {
		if byUser && bcrypt.CompareHashAndPassword([]byte(x.Hash), []byte(password)) == nil {
			return fmt.Errorf("%w: password (the new password must differ from the current one)", ErrInvalidUser)
		}
		x.Hash, x.MustChangePassword, x.PasswordChangedAt = string(hash), !byUser, u.now().UTC()
		x.FailedLogins, x.FailedSince, x.LockedUntil = 0, time.Time{}, time.Time{}
		return nil
	})
	return usr.Public(), err
}

// SetDisabled disables or enables an account; enabling also lifts a lock.
// The last enabled admin cannot be disabled.
func (u *Users) SetDisabled(ctx context.Context, username string, disabled bool, by string) (User, error) {
	if disabled {
		if err := u.keepAnAdmin(ctx, username); err != nil {
			return User{}, err
		}
	}
	usr, err := u.update(ctx, username, func(x *User) error {
		x.Disabled = disabled
		if disabled {
			x.DisabledAt, x.DisabledBy = u.now().UTC(), by
		} else {
			x.DisabledAt, x.DisabledBy = time.Time{}, ""
			x.FailedLogins, x.FailedSince, x.LockedUntil = 0, time.Time{}, time.Time{}
		}
		return nil
	})
	return usr.Public(), err
}

// SetRoles replaces a user's roles; taking the admin role from the last
// enabled admin is refused.
func (u *Users) SetRoles(ctx context.Context, username string, roles []auth.Role) (User, error) {
	if len(roles) == 0 || auth.ValidateRoles(roles) != nil {
		return User{}, fmt.Errorf("%w: roles", ErrInvalidUser)
	}
	if !slices.Contains(roles, auth.RoleAdmin) {
		if err := u.keepAnAdmin(ctx, username); err != nil {
			return User{}, err
		}
	}
	usr, err := u.update(ctx, username, func(x *User) error { x.Roles = roles; return nil })
	return usr.Public(), err
}

// keepAnAdmin refuses a change that would leave no enabled admin once
// username stops being one. (Two admins disabling each other at the same
// instant could both pass; the command line's user create is the way back.)
func (u *Users) keepAnAdmin(ctx context.Context, username string) error {
	usr, err := u.Get(ctx, username)
	if err != nil {
		return err
	}
	if usr.Disabled || !slices.Contains(usr.Roles, auth.RoleAdmin) {
		return nil
	}
	all, err := u.List(ctx) // staff accounts are a few hundred at most
	if err != nil {
		return err
	}
	for _, other := range all {
		if other.Username != username && !other.Disabled && slices.Contains(other.Roles, auth.RoleAdmin) {
			return nil
		}
	}
	return ErrLastAdmin
}

// List returns every user without hashes.
func (u *Users) List(ctx context.Context) ([]User, error) {
	var out []User
	opts := store.ListOptions{Limit: 500}
	for {
		page, err := u.st.List(ctx, UsersCollection, opts)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, r := range page.Records {
			var usr User
			if json.Unmarshal(r.Data, &usr) == nil {
				out = append(out, usr.Public())
			}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		opts.Cursor = page.NextCursor
	}
}

// Count returns the number of users.
func (u *Users) Count(ctx context.Context) (int, error) {
	return u.st.Count(ctx, UsersCollection, nil)
}

// CreateUser is the CLI's entry point (`hallgate user create`): it creates a
// user directly in the store, with no session or token.
func CreateUser(ctx context.Context, st store.Store, n NewUser) (User, error) {
	return NewUsers(st).Create(ctx, n, "cli")
}

// RecoverUser is the command line's way back into an account (`hallgate
// user password`): it sets the password, enables the account, lifts a lock
// and ends the user's sessions. mustChange asks for a new password at the
// next sign-in (the operator reset it for someone else).
func RecoverUser(ctx context.Context, st store.Store, tokens *auth.Tokens, username, password string, mustChange bool) (User, error) {
	u := NewUsers(st)
	if !passwordOK(password) {
		return User{}, fmt.Errorf("%w: %s", ErrInvalidUser, passwordRule)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), u.cost)
	if err != nil {
		return User{}, err
	}
	usr, err := u.update(ctx, username, func(x *User) error {
		x.Hash, x.MustChangePassword, x.PasswordChangedAt = string(hash), mustChange, u.now().UTC()
		x.Disabled, x.DisabledAt, x.DisabledBy = false, time.Time{}, ""
		x.FailedLogins, x.FailedSince, x.LockedUntil = 0, time.Time{}, time.Time{}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	if _, err := NewSessions(st, tokens, 0).EndUser(ctx, username, ""); err != nil {
		return User{}, err
	}
	return usr.Public(), nil
}
