import { Link } from "react-router";
import { PageTitle } from "../components/common";

export function NotFound() {
  return (
    <>
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>
        There is no page here. <Link to="/experiments">Back to the experiments</Link>.
      </p>
    </>
  );
}
