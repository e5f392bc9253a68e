package infra

import (
	"fmt"
	"path/filepath"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The demo app's Docker build: app/Dockerfile with the repository root as
// context (it needs go.mod; app/Dockerfile.dockerignore keeps the context
// to go.mod, go.sum and app/).
const (
	appDockerfile = "app/Dockerfile"
	appContext    = "."
)

// Image is the app image in ECR.
type Image struct {
	Repository *ecr.Repository
	Image      *docker.Image
	// Ref is the image by digest (repo@sha256:...): a new build changes it
	// and rolls the Deployment, an unchanged build does not.
	Ref pulumi.StringOutput
}

// newImage creates the ECR repository (scan on push, keep the newest
// ecrKeepImages images) and builds and pushes the demo app with Docker.
func newImage(ctx *pulumi.Context, cfg Config) (*Image, error) {
	wrap := func(what string, err error) error { return fmt.Errorf("image: %s: %w", what, err) }

	repo, err := ecr.NewRepository(ctx, "app", &ecr.RepositoryArgs{
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		// Tags name versions for humans; the Deployment uses the digest.
		ImageTagMutability: pulumi.String("MUTABLE"),
		// Let `pulumi destroy` remove a repository that still holds images.
		ForceDelete: pulumi.Bool(true),
	})
	if err != nil {
		return nil, wrap("ecr repository", err)
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, "app", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(lifecyclePolicy(cfg.ECRKeepImages)),
	}); err != nil {
		return nil, wrap("ecr lifecycle policy", err)
	}

	// An output-based invoke: resolved during up (and preview), no resource
	// is created inside an apply.
	token := ecr.GetAuthorizationTokenOutput(ctx, ecr.GetAuthorizationTokenOutputArgs{RegistryId: repo.RegistryId})

	root := ctx.RootDirectory() // the directory of Pulumi.yaml, whatever the working directory
	if root == "" {
		root = "."
	}
	img, err := docker.NewImage(ctx, "app", &docker.ImageArgs{
		ImageName: pulumi.Sprintf("%s:%s", repo.RepositoryUrl, cfg.AppVersion),
		Build: &docker.DockerBuildArgs{
			Context:    pulumi.String(filepath.Join(root, appContext)),
			Dockerfile: pulumi.String(filepath.Join(root, appDockerfile)),
			Platform:   pulumi.String(cfg.ImagePlatform),
			Args:       pulumi.StringMap{"VERSION": pulumi.String(cfg.AppVersion)},
		},
		Registry: &docker.RegistryArgs{
			Server:   repo.RepositoryUrl,
			Username: token.UserName(),
			Password: pulumi.ToSecret(token.Password()).(pulumi.StringOutput),
		},
	})
	if err != nil {
		return nil, wrap("docker image", err)
	}
	return &Image{Repository: repo, Image: img, Ref: img.RepoDigest}, nil
}

// lifecyclePolicy expires all but the newest keep images.
func lifecyclePolicy(keep int) string {
	return mustJSON(map[string]any{
		"rules": []any{map[string]any{
			"rulePriority": 1,
			"description":  fmt.Sprintf("keep the newest %d images", keep),
			"selection": map[string]any{
				"tagStatus":   "any",
				"countType":   "imageCountMoreThan",
				"countNumber": keep,
			},
			"action": map[string]any{"type": "expire"},
		}},
	})
}
