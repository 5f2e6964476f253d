from jeonju_prepay.exceptions import ApplicationError


class CityError(ApplicationError):
    code = "city_invalid"
