package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
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
)

// User is a member of staff who signs in to the pages.
type User struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Roles       []auth.Role `json:"roles"`
	Hash        string      `json:"hash,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	CreatedBy   string      `json:"created_by,omitempty"`
}

// Public returns u without its password hash.
func (u User) Public() User { u.Hash = ""; return u }

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

// Validate reports every unacceptable field at once.
func (n NewUser) Validate() error {
	var bad []string
	if !usernameRE.MatchString(n.Username) {
		bad = append(bad, "username (2-32: a-z 0-9 . _ -)")
	}
	if d := strings.TrimSpace(n.DisplayName); d == "" || utf8.RuneCountInString(d) > 50 {
		bad = append(bad, "display_name (1-50 characters)")
	}
	if utf8.RuneCountInString(n.Password) < MinPassword || len(n.Password) > 72 {
		bad = append(bad, fmt.Sprintf("password (%d-72 characters)", MinPassword))
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
}

// NewUsers returns the user store over st.
func NewUsers(st store.Store) *Users {
	go dummyHash() // ready long before the first sign-in, off the start-up path
	return &Users{st: st, cost: bcrypt.DefaultCost}
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
	usr := User{Username: n.Username, DisplayName: strings.TrimSpace(n.DisplayName), Roles: n.Roles, Hash: string(hash), CreatedAt: time.Now().UTC(), CreatedBy: createdBy}
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

// Verify checks a username and password.
func (u *Users) Verify(ctx context.Context, username, password string) (User, error) {
	usr, err := u.Get(ctx, strings.TrimSpace(username))
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(usr.Hash), []byte(password)) != nil {
		return User{}, ErrBadCredentials
	}
	return usr, nil
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
